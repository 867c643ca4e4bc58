"""Stand-in for the get-pip.py bootstrap script that ansible-test downloads from ci-files.testing.ansible.com.

That host is not reachable from here, so `make` places this file where ansible-test caches the script
(~/.ansible/test/cache/get_pip_<version>.py). Like get-pip.py, it is run with pip install arguments: it installs
the interpreter's bundled pip (ensurepip), then lets that pip install the requested packages from the package index.
ansible-test hides pip's configuration files, and the bundled pip trusts only its own certificate bundle, so the
system's certificate store is passed explicitly, as pip 24.2 and later do by themselves.
"""

import ensurepip
import os
import ssl
import subprocess
import sys

GET_PIP_ONLY_FLAGS = {"--no-setuptools", "--no-wheel"}

ensurepip.bootstrap()
pip_args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_FLAGS]
system_cafile = ssl.get_default_verify_paths().openssl_cafile
if os.path.exists(system_cafile):
    pip_args = ["--cert", system_cafile, *pip_args]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *pip_args]))
