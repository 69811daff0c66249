# shellcheck shell=bash
# Sourced by scripts/setup-dev-env.sh and scripts/run-sanity.sh: find_python ANSIBLE_CORE_VERSION
# prints the path of a Python that can run that ansible-core on the controller, trying the versions
# tests/versions.env lists for it (ANSIBLE_CORE_PYTHONS_<major>_<minor>) in order, each first as
# pythonX.Y on PATH, then under pyenv. Where none is found it says which it looked for and where, and
# returns 1. (A pyenv shim on PATH for a version pyenv has not selected fails when run, so every
# candidate is run once to see that it works and is the version it claims.)
find_python() {
  local core=$1 minor wanted var candidate version root found tried=()
  minor=$(echo "$core" | cut -d. -f1,2)
  var="ANSIBLE_CORE_PYTHONS_${minor//./_}"
  wanted=${!var:-}
  if [ -z "$wanted" ]; then
    echo "find_python: tests/versions.env has no $var (the controller Pythons ansible-core $minor supports)" >&2
    return 1
  fi
  root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  for version in ${wanted//,/ }; do
    for candidate in "$(command -v "python$version" 2>/dev/null)" "$root"/versions/"$version".*/bin/"python$version"; do
      if [ -z "$candidate" ] || [ ! -x "$candidate" ]; then continue; fi
      found=$("$candidate" -c 'import sys; print("%d.%d %s" % (sys.version_info[:2] + (sys.executable,)))' 2>/dev/null) || continue
      if [ "${found%% *}" = "$version" ]; then
        echo "${found#* }"  # the interpreter itself, not a shim
        return 0
      fi
    done
    tried+=("python$version")
  done
  echo "no Python for ansible-core $core: looked for ${tried[*]} on PATH and under $root/versions;" \
       "install one of them (e.g. pyenv install ${wanted%%,*})" >&2
  return 1
}
