#!/usr/bin/env bash
# session 26 call B (prepared; not run): Fig. 2 cells through bench/run_gpu.sh's fig2-cells step, on
# build-gpu/carry26.tar.gz. MATCH: the points (space-separated ids or globs); default the two hyena d 256 runs that
# session 25's call E cut, then the gated convolutions at N 128, d 128. Unpack $OUT/fig2/fig2-cells/runs.tgz into
# reports/zoology-fig2-gpu/runs afterwards.
set -u
tar xzf build-gpu/carry26.tar.gz
export MENAGERIE_PEERS_DIR=$PWD/build-gpu/peers CUDA_HOME=/nonexistent-no-jit
OUT=$OUT/fig2 STEPS=fig2-cells FIG2_TIMEOUT=${FIG2_TIMEOUT:-540} \
  FIG2_MATCH="${MATCH:-hyena-d256-lr0.00215443-N64-D4 hyena-d256-lr0.01-N64-D4 base_conv-d128-lr0.01-N128-D8 base_conv-d128-lr0.00215443-N128-D8 h3-d128-lr0.01-N128-D8 h3-d128-lr0.00215443-N128-D8 hyena-d128-lr0.01-N128-D8 hyena-d128-lr0.00215443-N128-D8}" \
  bash bench/run_gpu.sh
