#!/bin/bash
# gencerts DIR: a throwaway CA (ca.pem), a server certificate for 127.0.0.1 and ::1
# (server.pem/key, and server2 from the same CA, for rotation), one for the
# simulator's workers 127.0.0.2..20 (workers.pem/key), a client
# certificate of that CA (client.pem/key) and one of another CA (stranger.pem/key,
# CA other.pem). EC P-256, two days.
set -e
D=$1
cd $D
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=tbe-ca -keyout ca.key -out ca.pem
q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=other-ca -keyout other.key -out other.pem
for n in server server2; do
q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=$n -keyout $n.key -out $n.csr
q openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out $n.pem -extfile <(printf "subjectAltName=IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth")
done
q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=workers -keyout workers.key -out workers.csr
q openssl x509 -req -in workers.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out workers.pem -extfile <(printf "subjectAltName=%s\nextendedKeyUsage=serverAuth" "$(printf 'IP:127.0.0.%d,' $(seq 2 20) | sed 's/,$//')")
q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=client -keyout client.key -out client.csr
q openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out client.pem -extfile <(printf "extendedKeyUsage=clientAuth")
q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=stranger -keyout stranger.key -out stranger.csr
q openssl x509 -req -in stranger.csr -CA other.pem -CAkey other.key -CAcreateserial -days 2 -out stranger.pem -extfile <(printf "extendedKeyUsage=clientAuth")
