# Sourced by the sweep CLI tests (cli_sweep_workers.sh, cli_sweep_lost_context.sh): tiny_sweep NAME SRC writes s.json,
# a 4-point sweep named NAME built from SRC/train/configs/tiny.json: 2 mixers (base_conv + mha, base_conv + long
# base_conv) x 2 learning rates at d_model 8, CPU, one thread, a few seconds in all.
tiny_sweep() {
  python3 -c "
import json
c = json.load(open('$2/train/configs/tiny.json')); c.pop('name'); c['model'].pop('d_model'); c['model'].pop('mixers'); c['model'].pop('hybrid')
c['threads'] = 1
s = {'name': '$1', 'base': c, 'grid': {'mixers': [
       {'name': 'attention', 'model': {'mixers': [{'id': 'base_conv'}, {'id': 'mha'}], 'hybrid': True}},
       {'name': 'base_conv', 'model': {'mixers': [{'id': 'base_conv'}, {'id': 'base_conv', 'conv': 'long_implicit'}], 'hybrid': True}}],
     'd_model': [8], 'lr': [3e-3, 1e-2]}}
json.dump(s, open('s.json', 'w'))"
}
