"""The one compiled part: the Cisco ASA fold's bulk-line scanner (`connectors/logs/_asa_scan.c`).

Optional: where no C compiler is at hand the build goes on without it, and the parser reads
every line in Python (the same result, slower). Everything else is in pyproject.toml.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("connectors.logs._asa_scan", ["connectors/logs/_asa_scan.c"],
                             optional=True, extra_compile_args=["-O2"])])
