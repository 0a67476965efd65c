#!/usr/bin/env bash
# Installs Apache ZooKeeper 3.8 (Debian packages) and a JDK for the interop stage; does nothing when present.
# The interop tests run the real server, its Java client and zkCli.sh from this layout.
set -euo pipefail

ZK_BIN=/usr/share/zookeeper/bin/zkServer.sh
ZK_CLI=/usr/share/zookeeper/bin/zkCli.sh
ZK_JAR=/usr/share/java/zookeeper.jar
ZK_JUTE_JAR=/usr/share/java/zookeeper-jute.jar
# slf4j bindings the interop harness puts on the classpath (from libslf4j-java).
SLF4J_JARS=(/usr/share/java/slf4j-simple.jar /usr/share/java/slf4j-nop.jar)
# The servlet API ZooKeeper's Jetty AdminServer needs (libservlet-api-java, a dependency of Jetty).
SERVLET_JAR=/usr/share/java/servlet-api.jar
# kazoo, the Python client, with pure-sasl for its SASL (the TLS and SASL interop tests run it
# with Debian's /usr/bin/python3).
KAZOO=/usr/lib/python3/dist-packages/kazoo/__init__.py
PURESASL=/usr/lib/python3/dist-packages/puresasl/__init__.py

missing=()
for f in "$ZK_BIN" "$ZK_CLI" "$ZK_JAR" "$ZK_JUTE_JAR" "${SLF4J_JARS[@]}" "$SERVLET_JAR" "$KAZOO" "$PURESASL"; do
  [ -e "$f" ] || missing+=("$f")
done
# javac compiles the interop driver; the Debian zookeeper packages pull in only a JRE.
command -v javac >/dev/null 2>&1 || missing+=("javac")

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-zookeeper: already installed ($(readlink -f "$ZK_JAR"))"
  exit 0
fi

echo "install-zookeeper: missing: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-zookeeper: must run as root to apt-get install; re-run with sudo" >&2
  exit 1
fi

# A concurrent apt run holds the dpkg lock; wait for it instead of failing.
apt_opts=(-o DPkg::Lock::Timeout=600)
echo "install-zookeeper: apt-get update"
apt-get "${apt_opts[@]}" update
packages=(zookeeper zookeeper-bin libzookeeper-java libslf4j-java libservlet-api-java python3-kazoo python3-pure-sasl)
command -v javac >/dev/null 2>&1 || packages+=(default-jdk-headless)
echo "install-zookeeper: apt-get install -y ${packages[*]}"
DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y --no-install-recommends "${packages[@]}"

for f in "$ZK_BIN" "$ZK_CLI" "$ZK_JAR" "$ZK_JUTE_JAR" "${SLF4J_JARS[@]}" "$SERVLET_JAR" "$KAZOO" "$PURESASL"; do
  [ -e "$f" ] || { echo "install-zookeeper: still missing after install: $f" >&2; exit 1; }
done
echo "install-zookeeper: installed $(readlink -f "$ZK_JAR")"
