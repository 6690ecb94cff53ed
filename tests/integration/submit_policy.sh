#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Site policy from aifactory.conf: Policy=warn accepts with the warning, exempt accounts and users
# are warned instead of rejected, --llm-check=warn only counts where AllowUserWarn=yes, and a
# partition aifactory.conf does not describe is passed through with a note.
source "$(dirname "$0")/submit_lib.sh"
CLUSTER_SITE_CONF='DefaultPolicy=enforce
ExemptAccounts=benchmarks
ExemptUsers=daemon
PartitionName=boost_usr_prod System=leonardo-booster Policy=enforce Headroom=5%
PartitionName=standard-g System=lumi-g Policy=warn AllowUserWarn=yes'
start_cluster
big=(--llm-model=llama3.1-70b --llm-layout=tp=4 -N 1 --gpus-per-node=4 --mem=100 -o /dev/null --wrap true)

as_user sbatch -p standard-g "${big[@]}"
expect_rc 0 "Policy=warn accepts a job that does not fit"
expect_line "$ERR" '^sbatch: aifactory: llama3\.1-70b does not fit in GPU memory\.$' "warning shown (info level)"
expect_line "$ERR" '^sbatch: aifactory: accepted anyway \(policy warn on standard-g\)$' "says why it was accepted"
expect_narrow "$ERR" "warning"

as_user sbatch -p boost_usr_prod -A benchmarks "${big[@]}"
expect_rc 0 "exempt account accepted"
expect_line "$ERR" '^sbatch: aifactory: accepted anyway \(exempt\)$' "exempt account warned"
RC=0; runuser -u daemon -- env SLURM_CONF="$SLURM_CONF" sbatch -p boost_usr_prod "${big[@]}" 2>exempt.err >/dev/null || RC=$?
expect_rc 0 "exempt user accepted"
expect_line exempt.err 'accepted anyway \(exempt\)' "exempt user warned"

as_user sbatch -p boost_usr_prod --llm-check=warn "${big[@]}"
expect_rc 1 "--llm-check=warn not allowed on an enforce partition"
expect_line "$ERR" '^sbatch: error: aifactory: --llm-check=warn is not allowed on boost_usr_prod$' "says the lowering was refused"
expect_narrow "$ERR" "refusal"

as_user sbatch -p standard-g --llm-check=enforce "${big[@]}"
expect_rc 1 "--llm-check=enforce raises warn to a rejection"
expect_line "$ERR" 'does not fit in GPU memory' "rejection text"

as_user sbatch -p boost_usr_prod --llm-check=off "${big[@]}"
expect_rc 1 "--llm-check=off refused where not allowed"

# The band straddles usable memory (60.8 GiB, 55.3-67.6, of 60.2): may not fit. Policy=enforce
# accepts it with a warning naming what decides and the smallest change that makes it safe.
as_user sbatch -p boost_usr_prod --llm-model=llama3.1-8b --llm-layout=tp=4 --llm-mbs=3 --llm-seq=4096 \
    --llm-recompute=none -N 1 --gpus-per-node=4 --mem=100 -o may.%j.out --wrap 'echo "pred=$AIFACTORY_PREDICTION"'
expect_rc 0 "may not fit: accepted under enforce"
expect_line "$ERR" '^sbatch: aifactory: llama3\.1-8b may not fit: needs 61\.6 GiB per GPU$' "may-not-fit verdict"
expect_line "$ERR" '^sbatch:   \(56\.0-68\.4\) of 60\.2 usable$' "its band against usable memory"
expect_line "$ERR" "^sbatch: aifactory: the band's upper end decides; largest term: optimizer$" "what decides"
expect_line "$ERR" '^sbatch: aifactory: to be safe: --llm-recompute=full \([0-9.]+ GiB, at most$' "the smallest safe change"
expect_line "$ERR" "^sbatch: aifactory: accepted anyway: the band's low end fits$" "why it was accepted"
expect_narrow "$ERR" "may-not-fit warning"
id=$(job_id_of "$OUT")
cluster_wait_job "$id" 30 >/dev/null
expect_line "may.$id.out" '^pred=verdict=may-not-fit;gib_per_gpu=61\.6[0-9];capacity_gib=60\.[0-9]+;gib_lo=56\.[0-9]+;gib_hi=68\.[0-9]+;' "the band travels with the job"
expect_line "$CLUSTER_ROOT/log/slurmctld.log" 'gpus=4: warn \(may not fit: verdict=may-not-fit' "controller log line"
finish
