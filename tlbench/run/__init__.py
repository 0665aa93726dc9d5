"""``tlbench score --model`` in stages: item -> prompt -> batched generation (through the cache) -> parse ->
score. The public entry points are re-exported by :mod:`tlbench.runner`.

=================== ===========================================================================
module              stage
=================== ===========================================================================
``config``          :class:`RunConfig`, its checks, benchmark names, prompt formats per benchmark
``engine``          building the backend, and what the run derives from ``Backend.info()``
``pipeline``        :func:`run`: load, start, each benchmark, finish; the manifest's checkpoints
``manifest``        ``manifest.json`` as a frozen, versioned :class:`Manifest`; resumed segments
``provenance``      package versions and data hashes recorded in the manifest
``benchmark``       one benchmark: generate, score (infrastructure failures left out), write
``single_shot``     one generation per item, in length-sorted chunks; the run's counters
``episodes``        multi-turn episodes on the ``lockstep`` or ``independent`` schedule
``results``         the one writer of ``results.json`` / ``items.jsonl`` (also ``score --predictions``)
``progress``        items/s and tokens/s on stderr
``table``           the run as one leaderboard row
=================== ===========================================================================

This package's ``__init__`` imports nothing, so that :mod:`tlbench.run.results` stays cheap to import
(``benchmarks.predictions`` builds its result object with it).
"""
