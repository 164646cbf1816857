#!/bin/sh
# sparkgate image entrypoint (driver and executor images; run under tini).
#
#   entrypoint.sh kernel [launcher args...]   the Jupyter kernel = Spark client-mode driver
#   entrypoint.sh executor                    a Spark executor (what Spark's executor pods run)
#   entrypoint.sh <command> [args...]         anything else runs as given
#
# Paths come from the environment so that the same file runs in the images and, unchanged, as a
# host process under the test cluster's node agent (test/cluster).
set -eu

: "${SPARKGATE_PYTHON:=/opt/venv/bin/python}"
: "${SPARKGATE_LAUNCHER:=/opt/sparkgate/sparkgate_launcher.py}"
: "${SPARK_HOME:=/opt/spark}"
export SPARK_HOME
# Python workers of executors and the driver's PySpark use the same interpreter (same pyspark,
# pandas, pyarrow); Spark sends the driver's choice to executors.
export PYSPARK_PYTHON="${PYSPARK_PYTHON:-$SPARKGATE_PYTHON}"
export PYSPARK_DRIVER_PYTHON="${PYSPARK_DRIVER_PYTHON:-$SPARKGATE_PYTHON}"

# A uid without a passwd entry (OpenShift-style random uids, or a runAsUser the image does not
# know) breaks Hadoop's login inside Spark ("invalid null input: name") and makes the JVM's
# user.home "?". As Spark's own images do, give it an entry through nss_wrapper.
if ! id -un >/dev/null 2>&1; then
  for lib in /usr/lib/x86_64-linux-gnu/libnss_wrapper.so /usr/lib/aarch64-linux-gnu/libnss_wrapper.so /usr/lib64/libnss_wrapper.so; do
    if [ -f "$lib" ]; then
      passwd_file="$(mktemp)"
      cat /etc/passwd >"$passwd_file"
      echo "spark:x:$(id -u):$(id -g):sparkgate:${HOME:-/tmp}:/bin/false" >>"$passwd_file"
      export LD_PRELOAD="$lib" NSS_WRAPPER_PASSWD="$passwd_file" NSS_WRAPPER_GROUP=/etc/group
      break
    fi
  done
fi

java_bin() {
  if [ -n "${JAVA_HOME:-}" ]; then
    echo "$JAVA_HOME/bin/java"
  else
    command -v java
  fi
}

case "${1:-}" in
  kernel)
    shift
    exec "$SPARKGATE_PYTHON" "$SPARKGATE_LAUNCHER" "$@"
    ;;
  executor)
    shift
    # Spark's executor pod contract (resource-managers/kubernetes/docker/.../entrypoint.sh):
    # everything comes from SPARK_* variables that Spark sets on the executor pod.
    : "${SPARK_EXECUTOR_MEMORY:?SPARK_EXECUTOR_MEMORY is not set: executor pods are created by Spark}"
    classpath="${SPARK_CLASSPATH:+$SPARK_CLASSPATH:}${SPARK_CONF_DIR:-$SPARK_HOME/conf}:$SPARK_HOME/jars/*"
    # SPARK_JAVA_OPT_0..n, in order: user extraJavaOptions, then startup confs (ports, auth).
    set --
    i=0
    while :; do
      eval "opt=\${SPARK_JAVA_OPT_$i-__unset__}"
      # shellcheck disable=SC2154 # opt is assigned by the eval above
      [ "$opt" = "__unset__" ] && break
      set -- "$@" "$opt"
      i=$((i + 1))
    done
    exec "$(java_bin)" "$@" -Xms"$SPARK_EXECUTOR_MEMORY" -Xmx"$SPARK_EXECUTOR_MEMORY" \
      -cp "$classpath" org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "$SPARK_DRIVER_URL" \
      --executor-id "$SPARK_EXECUTOR_ID" \
      --cores "$SPARK_EXECUTOR_CORES" \
      --app-id "$SPARK_APPLICATION_ID" \
      --hostname "$SPARK_EXECUTOR_POD_IP" \
      --resourceProfileId "${SPARK_RESOURCE_PROFILE_ID:-0}" \
      --podName "${SPARK_EXECUTOR_POD_NAME:-}"
    ;;
  "")
    echo "entrypoint.sh: give a role (kernel or executor) or a command" >&2
    exit 64
    ;;
  *)
    exec "$@"
    ;;
esac
