"""Stand-in for ansible-test's get-pip.py bootstrap script.

ansible-test bootstraps pip in each sanity virtualenv with a script it downloads from a host our
machines cannot reach (only package registries are). This does the same job from PyPI:
ensurepip gives the venv a pip, which then installs the exact packages ansible-test asked for.
ansible-test runs pip with a scrubbed environment, so the machine's CA bundle (PIP_CERT) is
written into the venv's own pip.conf for this and every later install in that venv.
scripts/run-sanity.sh copies this file to ~/.ansible/test/cache/get_pip_<version>.py.
"""
import os
import subprocess
import sys

CA_BUNDLE = os.environ.get("ZOTOPS_PIP_CERT", "/etc/ssl/certs/ca-certificates.crt")

if os.path.exists(CA_BUNDLE):
    with open(os.path.join(sys.prefix, "pip.conf"), "w") as conf:
        conf.write("[global]\ncert = %s\n" % CA_BUNDLE)
requested = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
# In a child process: ensurepip points PIP_CONFIG_FILE at /dev/null for the rest of its process.
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + requested)
