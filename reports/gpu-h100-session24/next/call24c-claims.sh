#!/usr/bin/env bash
# session 24 call C: the Fig. 2 cells that test the paper's claims: the gated convolutions at d 128 for N 64 (the two
# learning rates that were best at d 64), attention at d 64 for N 128 (the two that solved N 64 fastest).
MATCH="base_conv-d128-lr0.00215443-N64-D4 base_conv-d128-lr0.01-N64-D4 hyena-d128-lr0.00215443-N64-D4 hyena-d128-lr0.01-N64-D4 h3-d128-lr0.00215443-N64-D4 h3-d128-lr0.01-N64-D4 attention-d64-lr0.000464159-N128-D8 attention-d64-lr0.00215443-N128-D8" \
  BASED=0 RPW=8 SWEEP_S=${SWEEP_S:-540} bash build-gpu/call24c.sh
