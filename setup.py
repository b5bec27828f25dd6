"""The compiled parts: the Cisco ASA fold's bulk-line scanner (`connectors/logs/_asa_scan.c`),
the drop-flow table of the traffic fold (`auditor/_flows.c`) and the address-text reading of
the network index (`auditor/_netkeys.c`).

All optional: where no C compiler is at hand the build goes on without them and the same
code runs in Python (the same result, slower). Everything else is in pyproject.toml.
"""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension("connectors.logs._asa_scan", ["connectors/logs/_asa_scan.c"], optional=True,
              depends=["connectors/logs/_pairs.h"], extra_compile_args=["-O2"]),
    Extension("auditor._flows", ["auditor/_flows.c"], optional=True,
              extra_compile_args=["-O2"]),
    Extension("auditor._netkeys", ["auditor/_netkeys.c"], optional=True,
              extra_compile_args=["-O2"]),
])
