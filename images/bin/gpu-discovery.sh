#!/bin/sh
# Spark GPU discovery script (spark.{driver,executor}.resource.gpu.discoveryScript): prints the GPUs
# this container may use in Spark's ResourceInformation format, e.g. {"name":"gpu","addresses":["0","1"]}.
#
# With nvidia-smi (the NVIDIA container runtime mounts it with the driver): the indices it lists,
# which are the container's own view (0..n-1 of the devices it was given). Without it: the entries
# of NVIDIA_VISIBLE_DEVICES (indices or GPU UUIDs, comma separated); "all", "none", "void" or unset
# mean no specific devices, so no addresses. SPARKGATE_NVIDIA_SMI overrides the nvidia-smi path
# (tests); set it to an empty string to skip nvidia-smi.
set -u

smi=${SPARKGATE_NVIDIA_SMI-nvidia-smi}

# Prints its comma/newline separated arguments as a JSON string list (entries trimmed, empty ones dropped).
json_list() {
  printf '%s\n' "$1" | tr ',' '\n' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//; /^$/d; s/["\\]//g' |
    awk 'BEGIN { ORS = "" } { printf "%s\"%s\"", (NR > 1 ? "," : ""), $0 }'
}

addresses=""
from_smi=false
if [ -n "$smi" ] && command -v "$smi" >/dev/null 2>&1; then
  if indices=$("$smi" --query-gpu=index --format=csv,noheader 2>/dev/null); then
    from_smi=true
    addresses=$(json_list "$indices")
  else
    echo "gpu-discovery.sh: $smi --query-gpu=index failed; using NVIDIA_VISIBLE_DEVICES" >&2
  fi
fi
if [ "$from_smi" = false ]; then
  devices=${NVIDIA_VISIBLE_DEVICES:-}
  case "$devices" in
    all | none | void | "") ;;
    *) addresses=$(json_list "$devices") ;;
  esac
fi
printf '{"name":"gpu","addresses":[%s]}\n' "$addresses"
