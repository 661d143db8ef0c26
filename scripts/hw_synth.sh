#!/usr/bin/env bash
# hw_synth.sh - optional synthesis cross-check of the cost model (issue 6):
# generate the vector MAC (paper Fig. 2b) for each configuration with
# `vsq hw verilog`, synthesise it with Debian's yosys to generic gates and
# count cells, next to the cost model's vector-MAC datapath area.
#
# usage: scripts/hw_synth.sh VSQ_BINARY [V] [CFG...] > hw_synth.csv
# Needs yosys (apt-get install yosys); not part of the test run. Uses
# `abc -fast` on generic gates: the default ABC script is very slow on
# multiplier trees with Debian's yosys 0.23.
set -euo pipefail
vsq=${1:?usage: hw_synth.sh VSQ_BINARY [V] [CFG...]}
v=${2:-16}
shift $(( $# >= 2 ? 2 : 1 ))
cfgs=("$@")
[ ${#cfgs[@]} -gt 0 ] || cfgs=(8/8/-/- 6/8/-/- 6/6/-/- 4/4/-/- 4/4/4/4 6/6/4/4 6/8/6/- 4/8/6/10 4/4/4/4@4 4/8/6/10@6)
command -v yosys >/dev/null || { echo "hw_synth.sh: yosys not installed" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "cfg,round,v,cells,cells_rel,model_mac_area_rel"
base_cells=""; base_model=""
for spec in "${cfgs[@]}"; do
  cfg=${spec%@*}; r=0; [ "$spec" != "$cfg" ] && r=${spec#*@}
  "$vsq" hw verilog --cfg "$cfg" --v "$v" --round "$r" --out "$tmp/m.v"
  yosys -q -p "read_verilog $tmp/m.v; synth -top vsq_vmac -flatten -noabc; \
    abc -fast -g AND,NAND,OR,NOR,XOR,XNOR,MUX; opt_clean; tee -o $tmp/stat.txt stat" >/dev/null
  cells=$(awk '/Number of cells:/ {print $4; exit}' "$tmp/stat.txt")
  "$vsq" hw cost --cfg "$cfg" --v "$v" --round "$r" --json "$tmp/c.json" >/dev/null
  # model area of one vector MAC unit: multipliers + adder tree + scale datapath
  model=$(python3 -c "import json;p=json.load(open('$tmp/c.json'))['parts'];print(sum(p[k]['area_ge'] for k in ('multipliers','adder_tree','scale_datapath')))")
  [ -n "$base_cells" ] || { base_cells=$cells; base_model=$model; }
  python3 -c "print('$cfg,$r,$v,$cells,%.3f,%.3f' % ($cells/$base_cells, $model/$base_model))"
done
