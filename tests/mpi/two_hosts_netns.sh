#!/usr/bin/env bash
# Two ranks on two "hosts" of our own: network namespaces joined by a veth pair, so that the
# gradients cross a real (virtual) network link over TCP instead of shared memory, and the
# model must still be the bytes a single process trains.
#
#   tests/mpi/two_hosts_netns.sh FFNN MPIRUN WORKDIR
#
# Host A (10.231.0.1) runs mpirun and rank 0; Open MPI starts host B's daemon through
# plm_rsh_agent, a script that runs it in B's namespace instead of over ssh (rank 1 then lives
# there). Each side gets its own hostname (unshare --uts), so Open MPI sees two nodes.
# Needs root and iproute2; exits 77 (ctest: skipped) without them. The namespaces (and with
# them the veth pair) are deleted on every exit.
set -euo pipefail
ffnn=$1 mpirun=$2 work=$3
a=ffnn-a-$$ b=ffnn-b-$$
if [[ $(id -u) -ne 0 ]] || ! command -v ip >/dev/null || ! command -v unshare >/dev/null; then
  echo "two_hosts_netns: needs root, ip and unshare: skipped"; exit 77
fi
cleanup() { ip netns del "$a" 2>/dev/null || true; ip netns del "$b" 2>/dev/null || true; }
trap cleanup EXIT
if ! ip netns add "$a" 2>/dev/null; then echo "two_hosts_netns: ip netns add failed: skipped"; exit 77; fi
ip netns add "$b"
ip link add "va$$" type veth peer name "vb$$"
ip link set "va$$" netns "$a"
ip link set "vb$$" netns "$b"
ip -n "$a" addr add 10.231.0.1/24 dev "va$$"
ip -n "$b" addr add 10.231.0.2/24 dev "vb$$"
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
ip -n "$a" link set "va$$" up
ip -n "$b" link set "vb$$" up

rm -rf "$work"
mkdir -p "$work"
cat > "$work/agent.sh" <<AGENT
#!/bin/sh
# plm_rsh_agent HOST COMMAND...: COMMAND in host B's namespace, under B's own hostname.
[ "\$1" = 10.231.0.2 ] || { echo "agent: unknown host \$1" >&2; exit 1; }
shift
exec ip netns exec $b unshare --uts sh -c "hostname ffnn-b; \$*"
AGENT
chmod +x "$work/agent.sh"
printf '10.231.0.1 slots=1\n10.231.0.2 slots=1\n' > "$work/hosts"

args=(train --epochs 4 --batch-size 24 --shards 6 --momentum 0.9 --threads 1)
"$ffnn" "${args[@]}" --out "$work/one" > "$work/one.log" 2>&1
ip netns exec "$a" unshare --uts sh -c "hostname ffnn-a; OMPI_ALLOW_RUN_AS_ROOT=1 \
  OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 120 $mpirun --hostfile $work/hosts \
  --mca plm_rsh_agent $work/agent.sh --mca btl self,tcp --mca btl_tcp_if_include 10.231.0.0/24 \
  --mca oob_tcp_if_include 10.231.0.0/24 -np 2 $ffnn ${args[*]} --out $work/two" \
  > "$work/two.log" 2>&1 || { cat "$work/two.log"; echo "two_hosts_netns: mpirun failed"; exit 1; }
grep -q "x 2 ranks" "$work/two.log" || { cat "$work/two.log"; echo "two_hosts_netns: not 2 ranks"; exit 1; }
# The gradients (131 floats + the loss, 5 steps an epoch, 4 epochs) crossed the link.
rx=$(ip -n "$b" -s link show "vb$$" | awk '/RX:/ {getline; print $1}')
echo "two_hosts_netns: host B received $rx bytes over the veth"
(( rx > 131 * 4 * 20 )) || { echo "two_hosts_netns: too little traffic over the veth"; exit 1; }
cmp "$work/one/model.safetensors" "$work/two/model.safetensors"
echo "two_hosts_netns: the model trained over two hosts is the one-process model, byte for byte"
