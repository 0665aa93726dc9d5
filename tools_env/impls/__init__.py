"""Real, offline tool implementations (plain functions of JSON values, importable by sandbox workers).

* :mod:`tools_env.impls.tooleyes_local` - ToolEyes' calculator, current_date, Random and file tools;
* :mod:`tools_env.impls.general` - unit conversion, date arithmetic, JSON and regex utilities;
* :mod:`tools_env.impls.local` - ``LOCAL_TOOLS`` (name -> function), ``run_local_tool`` (the sandbox entry
  point ``"tools_env.impls.local:run_local_tool"``) and the in-process ``LocalExecutor``;
* :mod:`tools_env.impls.safe_arith` - the bounded ``ast`` arithmetic evaluator behind the calculator;
* ``bfcl_exec`` - BFCL's executable math/geometry/statistics functions.
"""
