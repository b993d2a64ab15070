#!/usr/bin/env bash
# A real Slurm run of the pipeline on this machine, compared byte for byte with a local run.
#
#   bash scripts/slurm_local.sh [WORKDIR]
#
# 1. Where `sinfo` answers already (a cluster, or daemons left running), that Slurm is used.
#    Otherwise (root needed): Debian's slurm-wlm and munge are installed when missing, a
#    single-node slurm.conf for this machine is written under WORKDIR, and munged, slurmctld
#    and slurmd are started; the daemons this script started are stopped when it exits.
# 2. A small pipeline (the small embedded world, K562, 8 genes, 2 shards per heavy step) runs
#    through `snakemake --executor slurm` (snakemake-executor-plugin-slurm, pinned in
#    requirements/lock.txt; job status through squeue, because a one-node cluster has no
#    accounting database for sacct), then the same config with `snakemake -c2`.
# 3. Every table (CSV, parts and manifests included) of the two runs must be byte-identical;
#    the script exits non-zero otherwise.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-$(mktemp -d /tmp/creme-slurm.XXXXXX)}
WORK=$(mkdir -p "$WORK" && cd "$WORK" && pwd)
PY=${PY:-$ROOT/.venv/bin/python}
export PATH="$(dirname "$PY"):$PATH"
export TF_CPP_MIN_LOG_LEVEL=2 CUDA_VISIBLE_DEVICES="" PYTHONHASHSEED=0
STARTED=()

say() { printf '[slurm_local] %s\n' "$*"; }

LINKED_CONF=0
stop_started() {
    for name in "${STARTED[@]}"; do
        pkill -x "$name" 2>/dev/null || true
    done
    if [ "$LINKED_CONF" = 1 ]; then
        rm -f /etc/slurm/slurm.conf
        if [ -e "$WORK/etc/slurm.conf.saved" ] || [ -L "$WORK/etc/slurm.conf.saved" ]; then
            mv "$WORK/etc/slurm.conf.saved" /etc/slurm/slurm.conf
        fi
    fi
}
trap stop_started EXIT

start_cluster() {
    if [ "$(id -u)" != 0 ]; then
        say "no Slurm answers and this is not root: cannot install or start one"; exit 2
    fi
    if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
        say "installing Debian's slurm-wlm and munge"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
    fi
    if ! pgrep -x munged >/dev/null; then
        if [ ! -s /etc/munge/munge.key ]; then
            dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
        fi
        chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
        mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
        runuser -u munge -- /usr/sbin/munged
        STARTED+=(munged)
    fi
    local host cpus mem
    host=$(hostname -s)
    cpus=$(nproc)
    mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 2048 ))
    mkdir -p "$WORK/etc" "$WORK/state" "$WORK/spool"
    cat > "$WORK/etc/slurm.conf" <<EOF
ClusterName=creme
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
MinJobAge=600
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF="$WORK/etc/slurm.conf"
    # Commands inside a job (srun) read the default path, not $SLURM_CONF: link it there for
    # the run, keeping any file that was there.
    mkdir -p /etc/slurm
    if [ -e /etc/slurm/slurm.conf ] || [ -L /etc/slurm/slurm.conf ]; then
        mv /etc/slurm/slurm.conf "$WORK/etc/slurm.conf.saved"
    fi
    ln -s "$SLURM_CONF" /etc/slurm/slurm.conf
    LINKED_CONF=1
    slurmctld
    STARTED+=(slurmctld)
    slurmd
    STARTED+=(slurmd)
    for _ in $(seq 60); do
        if sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then return 0; fi
        sleep 1
    done
    say "the node did not come up:"; sinfo || true; tail -20 "$WORK/slurmctld.log" "$WORK/slurmd.log" || true
    exit 1
}

if sinfo -h >/dev/null 2>&1 && sinfo -h -o '%t' | grep -qE '^(idle|mix|alloc)'; then
    say "using the running Slurm ($(sinfo --version))"
else
    start_cluster
    say "started a one-node cluster ($(sinfo --version), $(nproc) CPUs)"
fi

say "work folder: $WORK"
"$PY" - "$WORK" <<'EOF'
import sys
from pathlib import Path
from creme_lib.world import SMALL_CONFIG, generate_world
files = generate_world(Path(sys.argv[1]) / "world", seed=0, config=SMALL_CONFIG)
(Path(sys.argv[1]) / "world.txt").write_text(f"{files.fasta}\n{files.gtf}\n")
EOF
FASTA=$(sed -n 1p "$WORK/world.txt")
GTF=$(sed -n 2p "$WORK/world.txt")

config() {  # $1 = run name
    printf '%s\n' "cell_lines=[K562]" "genome_fasta=$FASTA" "annotation_gtf=$GTF" \
        "results_dir=$WORK/$1/results" "book_dir=$WORK/$1/book" "shards=2" "n_genes=8" "n_shuffles=1" \
        "n_shuffles_context=2" "locus_page=false" "promoters_page=false" \
        "overrides={max_per_category: 2, swap_per_category: 2, max_cres: 1, max_fine_tile: 1, max_greedy: 1, n_greedy_rounds: 2, n_copies: 2}"
}

mapfile -t CFG_SLURM < <(config slurm)
mapfile -t CFG_LOCAL < <(config local)
t0=$(date +%s)
"$PY" -m snakemake -s "$ROOT/Snakefile" -d "$WORK/slurm" --executor slurm --jobs 4 --latency-wait 30 \
    --slurm-status-command squeue --slurm-init-seconds-before-status-checks 5 --default-resources slurm_partition=debug \
    --config "${CFG_SLURM[@]}" \
    > "$WORK/slurm.log" 2>&1 || { tail -40 "$WORK/slurm.log"; exit 1; }
t1=$(date +%s)
jobs=$(grep -c "Job .* has been submitted with SLURM jobid" "$WORK/slurm.log" || true)
say "slurm run: $jobs Slurm jobs, $((t1 - t0)) s"
"$PY" -m snakemake -s "$ROOT/Snakefile" -d "$WORK/local" -c2 --config "${CFG_LOCAL[@]}" \
    > "$WORK/local.log" 2>&1 || { tail -40 "$WORK/local.log"; exit 1; }
say "local run: $(( $(date +%s) - t1 )) s"

cd "$WORK"
list() { (cd "$1/results" && find . -type f \( -name '*.csv' -o -name '*.json' \) -not -path './*/logs/*' | sort); }
if ! diff <(list slurm) <(list local) > "$WORK/files.diff"; then
    say "the two runs wrote different files:"; head -20 "$WORK/files.diff"; exit 1
fi
n=0
while read -r f; do
    cmp -s "slurm/results/$f" "local/results/$f" || { say "differs: $f"; exit 1; }
    n=$((n + 1))
done < <(list slurm)
[ "$jobs" -ge 1 ] || { say "no job went through Slurm"; exit 1; }
say "OK: $n tables, parts and manifests byte-identical between the Slurm run and the local run"
say "versions: $(sinfo --version), snakemake $("$PY" -m snakemake --version), $("$PY" -m pip show snakemake-executor-plugin-slurm 2>/dev/null | awk '/^Version/ {print "snakemake-executor-plugin-slurm " $2}')"
