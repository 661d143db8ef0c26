"""Builds libvsq.so with CMake from the enclosing source tree and bundles it
in the vsquant package (vsquant/libvsq.so.0), so that `pip install ./python`
works on a machine that has only the build dependencies (scripts/setup.sh).

VSQ_USE_SYSTEM_LIB=1: bundle nothing; vsquant then loads an installed
libvsq (cmake --install) or $VSQ_LIBRARY at import time.
"""
import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SONAME = "libvsq.so.0"


def build_libvsq():
    if not os.path.exists(os.path.join(ROOT, "include", "vsq", "vsq.h")):
        raise RuntimeError("vsquant: build from the vsquant source tree (pip install ./python), "
                           "or set VSQ_USE_SYSTEM_LIB=1 to use an installed libvsq")
    build = os.path.join(HERE, "build", "libvsq")
    jobs = os.environ.get("VSQ_BUILD_JOBS", str(os.cpu_count() or 2))
    subprocess.check_call(["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                           "-DVSQ_TESTS=OFF"], stdout=subprocess.DEVNULL)
    subprocess.check_call(["cmake", "--build", build, "--target", "vsq_shared", "-j", jobs])
    return os.path.join(build, SONAME)


class BuildWithLibvsq(build_py):
    def run(self):
        super().run()
        if os.environ.get("VSQ_USE_SYSTEM_LIB") == "1":
            return
        dst = os.path.join(self.build_lib, "vsquant", SONAME)
        shutil.copyfile(build_libvsq(), dst)


class BinaryDistribution(Distribution):
    """The wheel holds a native library: platform-specific."""

    def has_ext_modules(self):
        return os.environ.get("VSQ_USE_SYSTEM_LIB") != "1"


setup(cmdclass={"build_py": BuildWithLibvsq}, distclass=BinaryDistribution)
