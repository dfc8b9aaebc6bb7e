#!/usr/bin/env bash
# Shared by the run-*-bench.sh scripts that compare against Debian's PyTorch (sourced from the repository
# root, with OUT set): the interpreter check, the result collector and the summary table.

PYTHON=${PYTHON:-/usr/bin/python3}  # Debian's interpreter (a pyenv python3 on PATH does not see python3-torch)

require_debian_torch() {
  if ! "$PYTHON" -c 'import torch, torchvision' 2>/dev/null; then
    echo "baseline needs Debian's PyTorch: apt-get install -y python3-torch python3-torchvision" >&2
    exit 1
  fi
}

run() { # engine, command... : appends "<engine> <RESULT fields>" to $OUT
  local engine=$1; shift
  local line
  line=$("$@" | grep '^RESULT') || { echo "FAILED: $*" >&2; return 1; }
  echo "$engine ${line#RESULT }" | tee -a "$OUT"
}

summary_table() { # markdown table of $OUT, runs of one configuration side by side
  echo
  echo "| engine | what | model | size | batch | threads | images/s (runs) |"
  echo "|---|---|---|---|---|---|---|"
  awk '{k=$1" | "$2" | "$3" | "$4" | "$5" | "$6; if (k in v) v[k]=v[k]", "$7; else {v[k]=$7; keys[++n]=k}} END{for(i=1;i<=n;i++) print "| "keys[i]" | "v[keys[i]]" |"}' "$OUT"
  echo
}

machine_footer() { # load_before
  echo "machine: $(nproc) cores, load average before/after: $1 / $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "pytorch: $("$PYTHON" -c 'import torch, torchvision; print(torch.__version__, "torchvision", torchvision.__version__)')"
}
