import * as echarts from 'echarts';
import { useEffect, useRef } from 'react';

export interface TrendChartHandle {
  readonly pngDataUrl: () => string | null;
}

/**
 * An echarts canvas for an option; reports the zoom window (percent of the x range) once the operator stops
 * zooming, so the view can ask the server again at the right resolution.
 */
export function TrendChart({
  option,
  onZoom,
  handle,
}: {
  option: echarts.EChartsOption;
  onZoom: (startPercent: number, endPercent: number) => void;
  handle: { current: TrendChartHandle | null };
}) {
  const element = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const zoomRef = useRef(onZoom);
  zoomRef.current = onZoom;

  useEffect(() => {
    if (!element.current) return;
    const instance = echarts.init(element.current, null, { renderer: 'canvas' });
    chart.current = instance;
    let timer: number | undefined;
    instance.on('datazoom', () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        const zoom = (instance.getOption() as { dataZoom?: { start?: number; end?: number }[] })
          .dataZoom?.[0];
        if (zoom && (zoom.start ?? 0) + (100 - (zoom.end ?? 100)) > 0.5)
          zoomRef.current(zoom.start ?? 0, zoom.end ?? 100);
      }, 400);
    });
    const resize = new ResizeObserver(() => {
      instance.resize();
    });
    resize.observe(element.current);
    handle.current = {
      pngDataUrl: () => instance.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: '#fff' }),
    };
    return () => {
      window.clearTimeout(timer);
      resize.disconnect();
      instance.dispose();
      chart.current = null;
      handle.current = null;
    };
  }, [handle]);

  useEffect(() => {
    const started = performance.now();
    chart.current?.setOption(option, { notMerge: true, lazyUpdate: false });
    element.current?.setAttribute('data-render-ms', (performance.now() - started).toFixed(1));
  }, [option]);

  return <div ref={element} className="trend-chart" data-testid="trend-chart" />;
}
