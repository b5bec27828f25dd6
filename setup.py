"""The two compiled parts: the Cisco ASA fold's bulk-line scanner (`connectors/logs/_asa_scan.c`)
and the drop-flow table of the traffic fold (`auditor/_flows.c`).

Both optional: where no C compiler is at hand the build goes on without them, and the parser
reads every line in Python, the fold folds in Python (the same result, slower). Everything
else is in pyproject.toml.
"""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension("connectors.logs._asa_scan", ["connectors/logs/_asa_scan.c"], optional=True,
              extra_compile_args=["-O2"]),
    Extension("auditor._flows", ["auditor/_flows.c"], optional=True,
              extra_compile_args=["-O2"]),
])
