# GTKWave view of an ff_mnist --trace file of a two-layer run (docs/trace.md):
#   gtkwave --rcvar 'hier_max_level 3' -S docs/trace_view.tcl results/ecram.vcd
# Each layer's busy flag and batch, the fifos' levels and the batches out as signed numbers, then the
# pulses on each layer's weights, layer 0's crossbar reads and ADC conversions as step curves.
set pipeline SystemC.ff_pipeline_0
set numbers [list]
foreach k {0 1} {
  lappend numbers $pipeline.stage$k.busy "$pipeline.stage$k.packet\[31:0\]"
}
foreach k {0 1 2} { lappend numbers "$pipeline.fifo$k.level\[31:0\]" }
lappend numbers "$pipeline.sink.packets_out\[31:0\]"
gtkwave::addSignalsFromList $numbers
gtkwave::highlightSignalsFromList $numbers
gtkwave::/Edit/Data_Format/Signed_Decimal
gtkwave::/Edit/UnHighlight_All
set counts [list SystemC.ledger.ff.layer0.pulse SystemC.ledger.ff.layer1.pulse SystemC.ledger.ff.layer0.crossbar_read \
                 SystemC.ledger.ff.layer0.adc.adc_conversion]
gtkwave::addSignalsFromList $counts
gtkwave::highlightSignalsFromList $counts
gtkwave::/Edit/Data_Format/Analog/Step
gtkwave::/Edit/Insert_Analog_Height_Extension
gtkwave::/Edit/UnHighlight_All
# From a little before the first change to the last (the file ends with the time the trace was closed).
set f [open [gtkwave::getDumpFileName]]
set first -1
set last 0
set now 0
while {[gets $f line] >= 0} {
  set c [string index $line 0]
  if {$c eq "#"} {
    set now [string range $line 1 end]
    if {$first < 0} { set first $now }
  } elseif {$first >= 0 && $c ne "" && $c ne "\$"} {
    set last $now
  }
}
close $f
gtkwave::setZoomRangeTimes [expr {$first - ($last - $first) / 20}] [expr {$last + ($last - $first) / 20}]
