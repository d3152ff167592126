import { createRequire } from 'node:module';
import type { EChartsOption } from 'echarts';

/**
 * Renders a chart option of charts.ts to a standalone SVG string on the server (ECharts' SSR
 * renderer, no DOM, no browser). Kept apart from the option builders, which the browser imports too.
 */
export function renderSvg(option: EChartsOption, size: { width: number; height: number }): string {
  // loaded on first use: ECharts takes about a second to load, which every `fat` command paid
  const echarts = createRequire(import.meta.url)('echarts') as typeof import('echarts');
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption(option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
