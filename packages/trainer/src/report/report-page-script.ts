// @file The browser side of report.html: draws each chart of the inlined data with uPlot (plain ES2019, no build step).

/**
 * Reads the JSON in `#report-data`, draws every chart with uPlot into `#chart-<id>`, adds the two things uPlot has no
 * option for (error bars and vertical warning lines, as draw hooks), and publishes what it drew on
 * `window.msnReport` (series labels and point counts per chart) for tests and for the curious.
 */
export const REPORT_PAGE_SCRIPT = `
(function () {
  'use strict';
  var report = JSON.parse(document.getElementById('report-data').textContent);
  var palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
  function colour(index, alpha) {
    var hex = palette[index % palette.length];
    var red = parseInt(hex.slice(1, 3), 16), green = parseInt(hex.slice(3, 5), 16), blue = parseInt(hex.slice(5, 7), 16);
    return 'rgba(' + red + ',' + green + ',' + blue + ',' + alpha + ')';
  }
  function errorBars(chart) {
    return function (plot) {
      var context = plot.ctx;
      context.save();
      chart.series.forEach(function (series, index) {
        if (!series.errors) return;
        context.strokeStyle = colour(series.colour, 1);
        context.lineWidth = 1.5 * devicePixelRatio;
        series.values.forEach(function (value, point) {
          var error = series.errors[point];
          if (value === null || !error) return;
          var x = plot.valToPos(chart.x[point], 'x', true);
          var low = plot.valToPos(value - error, 'y', true), high = plot.valToPos(value + error, 'y', true);
          var cap = 4 * devicePixelRatio;
          context.beginPath();
          context.moveTo(x, low); context.lineTo(x, high);
          context.moveTo(x - cap, low); context.lineTo(x + cap, low);
          context.moveTo(x - cap, high); context.lineTo(x + cap, high);
          context.stroke();
        });
      });
      context.restore();
    };
  }
  function warningLines(chart) {
    return function (plot) {
      var context = plot.ctx;
      context.save();
      context.strokeStyle = 'rgba(214,39,40,0.9)';
      context.fillStyle = 'rgba(214,39,40,0.9)';
      context.setLineDash([5 * devicePixelRatio, 4 * devicePixelRatio]);
      context.lineWidth = 1.5 * devicePixelRatio;
      context.font = (11 * devicePixelRatio) + 'px sans-serif';
      (chart.markers || []).forEach(function (marker) {
        var x = plot.valToPos(marker.x, 'x', true);
        context.beginPath();
        context.moveTo(x, plot.bbox.top);
        context.lineTo(x, plot.bbox.top + plot.bbox.height);
        context.stroke();
        context.fillText(marker.label + ' @ ' + marker.x, x + 4 * devicePixelRatio, plot.bbox.top + 12 * devicePixelRatio);
      });
      context.restore();
    };
  }
  // uPlot's default tick labels round small values (a learning rate of 2e-3 shows as 0.002, 0.002, 0.001).
  function tickLabels(plot, splits) {
    return splits.map(function (value) {
      if (value === 0) return '0';
      var magnitude = Math.abs(value);
      return magnitude < 1e-3 || magnitude >= 1e5 ? value.toExponential(1) : String(Number(value.toPrecision(3)));
    });
  }
  function options(chart, width) {
    var categories = chart.categories;
    var xAxis = { label: chart.xLabel };
    var xScale = { time: false };
    if (categories) {
      xAxis.splits = function () { return categories.map(function (_, index) { return index; }); };
      xAxis.values = function (plot, splits) { return splits.map(function (split) { return categories[split] || ''; }); };
      xScale.range = [-0.5, categories.length - 0.5];
    } else {
      // Steps are whole numbers: no 1.25 ticks on a 3-step run.
      xAxis.incrs = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000];
    }
    if (chart.xRange) xScale.range = chart.xRange;
    return {
      width: width,
      height: 280,
      legend: { live: false },
      scales: { x: xScale, y: chart.logY ? { distr: 3 } : {} },
      axes: [xAxis, { label: chart.yLabel, size: 70, values: tickLabels }],
      series: [{ label: chart.xLabel }].concat(chart.series.map(function (series) {
        var points = series.style === 'points';
        return {
          label: series.label,
          stroke: colour(series.colour, series.style === 'raw' ? 0.3 : 1),
          width: series.style === 'raw' ? 1 : 2,
          spanGaps: true,
          paths: points ? function () { return null; } : undefined,
          // Markers where a line alone would not show its data: a validation logged once or a few times.
          points: points ? { show: true, size: 9, fill: colour(series.colour, 1) } : { show: series.style !== 'raw' && count(series.values) <= 60, size: 6 },
        };
      })),
      hooks: { draw: [errorBars(chart), warningLines(chart)] },
    };
  }
  function count(values) {
    return values.filter(function (value) { return value !== null; }).length;
  }
  var drawn = [];
  report.charts.forEach(function (chart) {
    var element = document.getElementById('chart-' + chart.id);
    var width = Math.max(320, element.clientWidth || 560);
    var plot = new uPlot(options(chart, width), [chart.x].concat(chart.series.map(function (series) { return series.values; })), element);
    drawn.push({ chart: chart, plot: plot, element: element });
  });
  window.addEventListener('resize', function () {
    drawn.forEach(function (entry) { entry.plot.setSize({ width: Math.max(320, entry.element.clientWidth), height: 280 }); });
  });
  window.msnReport = drawn.map(function (entry) {
    return {
      id: entry.chart.id,
      series: entry.plot.series.slice(1).map(function (series) { return series.label; }),
      points: entry.plot.data.slice(1).map(function (column) { return column.filter(function (value) { return value !== null && value !== undefined; }).length; }),
      markers: (entry.chart.markers || []).length,
    };
  });
  document.body.setAttribute('data-rendered', String(drawn.length));
})();
`;
