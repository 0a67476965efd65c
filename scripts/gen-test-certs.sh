#!/usr/bin/env bash
# Writes the TLS test fixtures in test/fixtures/tls/ (run once; the files are committed): a CA, a
# server certificate for 127.0.0.1/localhost and two client certificates signed by it, each as the
# keystore types ZooKeeper reads (PEM, PKCS12, JKS), plus truststores holding the CA. Needs openssl
# and keytool (a JDK). Valid for 100 years, so the tests do not expire.
set -euo pipefail
out=${1:-test/fixtures/tls}
mkdir -p "$out"
cd "$out"
days=36500
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/ca.key" -out ca.pem -days $days -subj "/O=zk-server tests/CN=zk-server test CA" 2>/dev/null

issue() { # name subject san
  openssl req -newkey rsa:2048 -nodes -keyout "$tmp/$1.key" -out "$tmp/$1.csr" -subj "$2" 2>/dev/null
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$3" > "$tmp/$1.ext"
  openssl x509 -req -in "$tmp/$1.csr" -CA ca.pem -CAkey "$tmp/ca.key" -CAcreateserial -out "$tmp/$1.crt" -days $days -extfile "$tmp/$1.ext" 2>/dev/null
  # PEM keystore: the private key (PKCS#8) then the certificate; and one with the key encrypted.
  openssl pkcs8 -topk8 -nocrypt -in "$tmp/$1.key" -out "$tmp/$1.p8"
  cat "$tmp/$1.p8" "$tmp/$1.crt" > "$1.pem"
  openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$tmp/$1.key" -passout pass:"$1-pw" -out "$tmp/$1.enc.p8"
  cat "$tmp/$1.enc.p8" "$tmp/$1.crt" > "$1-encrypted.pem"
  openssl pkcs12 -export -in "$tmp/$1.crt" -inkey "$tmp/$1.key" -certfile ca.pem -name "$1" -passout pass:"$1-pw" -out "$1.p12"
  rm -f "$1.jks"
  keytool -importkeystore -srckeystore "$1.p12" -srcstoretype PKCS12 -srcstorepass "$1-pw" \
    -destkeystore "$1.jks" -deststoretype JKS -deststorepass "$1-pw" -destkeypass "$1-pw" -noprompt 2>/dev/null
}

issue server "/O=zk-server tests/CN=127.0.0.1" "IP:127.0.0.1,DNS:localhost"
# The same name, a new key and certificate: what a rotation puts in place of server.*.
issue server-rotated "/O=zk-server tests/CN=127.0.0.1" "IP:127.0.0.1,DNS:localhost"
issue client "/C=US/O=zk-server tests/OU=clients/CN=alice" "DNS:alice"
issue client2 "/C=US/O=zk-server tests/OU=clients/CN=bob" "DNS:bob"

# Truststores: the CA alone.
cp ca.pem truststore.pem
rm -f truststore.jks truststore.p12
keytool -importcert -alias ca -file ca.pem -keystore truststore.jks -storetype JKS -storepass trust-pw -noprompt 2>/dev/null
keytool -importcert -alias ca -file ca.pem -keystore truststore.p12 -storetype PKCS12 -storepass trust-pw -noprompt 2>/dev/null
# A client the CA never signed.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/stranger.key" -out "$tmp/stranger.crt" -days $days -subj "/CN=stranger" 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in "$tmp/stranger.key" -out "$tmp/stranger.p8"
cat "$tmp/stranger.p8" "$tmp/stranger.crt" > stranger.pem
rm -f ca.srl
echo "gen-test-certs: wrote $(ls | wc -l) files to $out"
