#!/usr/bin/env bash
# The real nbgrader and otter-grader CLIs in a venv of their own (.venv-tools): their dependency pins
# are not the project's, so they never go into .venv. Their kernels (the tools venv's python3) see the
# project's torch through a .pth file that appends .venv's site-packages to sys.path (the tools' own
# packages still win), so no second multi-GB torch is installed. Idempotent: a stamp file records the
# versions; run it again after changing them. Used by .ci/run and by the release tests.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${TENSORGRADE_TOOLS_VENV:-$ROOT/.venv-tools}"
MAIN="${TENSORGRADE_MAIN_VENV:-$ROOT/.venv}"
WANT="nbgrader==0.9.6 otter-grader==7.0.0"
STAMP="$TOOLS/.tensorgrade-tools"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && "$TOOLS/bin/python" -c "import nbgrader, otter, torch" 2>/dev/null; then
  echo "tools venv ready: $TOOLS ($WANT)"
  exit 0
fi
if [ ! -x "$MAIN/bin/python" ]; then
  echo "tools_env: no project venv at $MAIN (create it first: python3 -m venv .venv && .venv/bin/pip install -e '.[all]')" >&2
  exit 1
fi
PYTHON=$(command -v python3.11 || command -v python3)
# Debian's interpreter when there is one, as for .venv: both venvs must share one Python for the .pth to work
[ -x /usr/bin/python3.11 ] && PYTHON=/usr/bin/python3.11
[ -x "$TOOLS/bin/python" ] || "$PYTHON" -m venv "$TOOLS"
export PIP_DISABLE_PIP_VERSION_CHECK=1
# shellcheck disable=SC2086 # WANT is a list of requirements
"$TOOLS/bin/pip" install -q $WANT
tools_site=$("$TOOLS/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
main_site=$("$MAIN/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if [ "$("$TOOLS/bin/python" -c 'import sys; print(sys.version_info[:2])')" != "$("$MAIN/bin/python" -c 'import sys; print(sys.version_info[:2])')" ]; then
  echo "tools_env: $TOOLS and $MAIN use different Python versions; torch cannot be shared" >&2
  exit 1
fi
echo "$main_site" > "$tools_site/tensorgrade_main_venv.pth"
"$TOOLS/bin/python" -c "import nbgrader, otter, torch; print('tools venv ready: nbgrader', nbgrader.__version__, '| torch', torch.__version__)"
echo "$WANT" > "$STAMP"
