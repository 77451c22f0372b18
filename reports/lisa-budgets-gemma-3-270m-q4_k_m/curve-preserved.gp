set terminal pngcairo size 960,460 font "Sans,10" noenhanced
set output '/work/main/reports/lisa-budgets-gemma-3-270m-q4_k_m/curve-preserved.png'
set linetype 1 lc rgb "#4477AA" lw 2 dt 1 pt 7 ps 0.8
set linetype 2 lc rgb "#EE6677" lw 2 dt 2 pt 5 ps 0.8
set linetype 3 lc rgb "#228833" lw 2 dt 4 pt 9 ps 0.9
set linetype 4 lc rgb "#AA3377" lw 2.5 dt 1 pt 11 ps 0.9
set linetype 5 lc rgb "#66CCEE" lw 2 dt 3 pt 13 ps 0.9
set linetype 6 lc rgb "#CCBB44" lw 2 dt 5 pt 4 ps 0.8
set linetype 7 lc rgb "#555555" lw 2 dt 2 pt 6 ps 0.8
set linetype 8 lc rgb "#000000" lw 2 dt 4 pt 8 ps 0.8
set linetype cycle 8
set border lw 1
set tics nomirror
set title "gemma-3-270m-q4_k_m: average preserved (%) against training tokens"
set xlabel "training tokens"
set ylabel "average preserved (%, ± s.e.)"
set key outside right top box opaque
set grid lc rgb "#dddddd"
set yrange [77.89892928744484:101.63711634907816]
set logscale x
set xrange [50000.0:400000.0]
set format x "%.0s%c"
plot '/work/main/reports/lisa-budgets-gemma-3-270m-q4_k_m/curve-preserved.series0.dat' skip 1 using 1:2 with linespoints lt 7 title "original", \
  '/work/main/reports/lisa-budgets-gemma-3-270m-q4_k_m/curve-preserved.series1.dat' skip 1 using 1:2 with linespoints lt 8 title "DS (untrained)", \
  '/work/main/reports/lisa-budgets-gemma-3-270m-q4_k_m/curve-preserved.series2.dat' skip 1 using 1:2:3 with yerrorlines lt 1 title "lisa", \
  '/work/main/reports/lisa-budgets-gemma-3-270m-q4_k_m/curve-preserved.series3.dat' skip 1 using 1:2:3 with yerrorlines lt 2 title "ds-lora"

unset output
set terminal svg size 960,460 font "Sans,10" noenhanced
set output '/work/main/reports/lisa-budgets-gemma-3-270m-q4_k_m/curve-preserved.svg'
replot
unset output
