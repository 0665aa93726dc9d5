"""The physics formulas among BFCL's executable functions (density, displacement, potential energy, final
velocity), with upstream's arithmetic in upstream's order.

Covered here: the four formulas on numbers (:func:`~tools_env.impls.bfcl_exec.bounds.num`). Not covered:
units (none are converted, as upstream).
"""

from __future__ import annotations

from tools_env.impls.bfcl_exec.bounds import num

__all__ = [
    "calculate_density",
    "calculate_displacement",
    "calculate_electrostatic_potential_energy",
    "calculate_final_velocity",
]


def calculate_density(mass: float, volume: float) -> float:
    """``mass / volume``."""
    return num(mass, "mass") / num(volume, "volume")


def calculate_displacement(initial_velocity: float, acceleration: float, time: float) -> float:
    """``v0 t + 0.5 a t^2``."""
    v0, a, t = (
        num(initial_velocity, "initial_velocity"),
        num(acceleration, "acceleration"),
        num(time, "time"),
    )
    return v0 * t + 0.5 * a * t**2


def calculate_electrostatic_potential_energy(charge: float, voltage: float) -> float:
    """``charge * voltage``."""
    return num(charge, "charge") * num(voltage, "voltage")


def calculate_final_velocity(initial_velocity: float, acceleration: float, time: float) -> float:
    """``v0 + a t``."""
    return num(initial_velocity, "initial_velocity") + num(acceleration, "acceleration") * num(time, "time")
