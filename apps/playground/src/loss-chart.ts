/**
 * The live loss chart (Chart.js, only the parts a line chart needs, so the bundle stays small).
 * It redraws from a {@link LossHistory} without animation, so that it keeps up with training.
 */
import {
  Chart,
  LineController,
  LineElement,
  LinearScale,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import type { LossHistory } from './loss-history.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip);

type LossChartConfig = ChartConfiguration<'line', { x: number; y: number }[]>;

/** A Chart.js line chart of the training loss per epoch, on `canvas`. */
export class LossChart {
  private readonly chart: Chart<'line', { x: number; y: number }[]>;

  constructor(private readonly canvas: HTMLCanvasElement) {
    const config: LossChartConfig = {
      type: 'line',
      data: {
        datasets: [
          {
            label: 'training loss',
            data: [],
            parsing: false,
            borderColor: '#1f77b4',
            borderWidth: 2,
            pointRadius: 0,
            tension: 0,
          },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', intersect: false },
        scales: {
          x: { type: 'linear', min: 1, title: { display: true, text: 'epoch' }, ticks: { precision: 0 } },
          y: { type: 'logarithmic', title: { display: true, text: 'loss' } },
        },
      },
    };
    this.chart = new Chart(canvas, config);
  }

  /** Redraws from `history`; `epochs` fixes the x axis for the run. */
  update(history: LossHistory, epochs: number): void {
    const points = history.chartData().map((p) => ({ x: p.epoch, y: p.loss }));
    this.chart.data.datasets[0]!.data = points;
    this.chart.options.scales!['x']!.max = Math.max(2, epochs);
    this.chart.update('none');
    this.canvas.dataset['points'] = String(points.length);
  }
}
