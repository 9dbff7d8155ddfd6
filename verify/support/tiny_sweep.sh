# Sourced by the sweep CLI tests (cli_sweep_workers.sh, cli_sweep_lost_context.sh) with $bin (menagerie) and $src
# (the source tree) set: a scratch directory, removed on exit, becomes the working directory; fail MESSAGE exits 1;
# tiny_sweep NAME writes s.json, a 4-point sweep named NAME built from $src/train/configs/tiny.json (2 mixers:
# base_conv + mha, base_conv + long base_conv; x 2 learning rates at d_model 8, CPU, one thread, a few seconds in
# all), and trains it serially into serial/ (its log serial.log).
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

tiny_sweep() {
  python3 -c "
import json
c = json.load(open('$src/train/configs/tiny.json')); c.pop('name'); c['model'].pop('d_model'); c['model'].pop('mixers'); c['model'].pop('hybrid')
c['threads'] = 1
s = {'name': '$1', 'base': c, 'grid': {'mixers': [
       {'name': 'attention', 'model': {'mixers': [{'id': 'base_conv'}, {'id': 'mha'}], 'hybrid': True}},
       {'name': 'base_conv', 'model': {'mixers': [{'id': 'base_conv'}, {'id': 'base_conv', 'conv': 'long_implicit'}], 'hybrid': True}}],
     'd_model': [8], 'lr': [3e-3, 1e-2]}}
json.dump(s, open('s.json', 'w'))" || fail "writing the sweep config"
  "$bin" sweep --config s.json --runs serial --no-plot --no-progress >serial.log 2>&1 ||
    { cat serial.log; fail "serial sweep"; }
}
