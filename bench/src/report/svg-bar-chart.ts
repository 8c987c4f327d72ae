export interface Bar {
  readonly label: string;
  readonly value: number;
  /** A second, lighter bar behind the first: the limit the value is measured against. */
  readonly limit?: number;
}

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const format = (value: number): string =>
  value >= 100 ? Math.round(value).toLocaleString('en-US') : String(Number(value.toPrecision(3)));

/**
 * A horizontal bar chart as a standalone SVG: one bar per measurement, its limit (when given) drawn behind it, so
 * the ratio reads at a glance. No dependencies: the documentation shows it as an image.
 */
export function svgBarChart(title: string, unit: string, bars: readonly Bar[]): string {
  const width = 820;
  const labelWidth = 300;
  const barHeight = 24;
  const gap = 10;
  const top = 40;
  const height = top + bars.length * (barHeight + gap) + 20;
  const max = Math.max(1, ...bars.flatMap((bar) => [bar.value, bar.limit ?? 0]));
  const scale = (value: number): number => ((width - labelWidth - 130) * value) / max;
  const rows = bars.map((bar, index) => {
    const y = top + index * (barHeight + gap);
    const limit =
      bar.limit === undefined
        ? ''
        : `<rect x="${String(labelWidth)}" y="${String(y)}" width="${scale(bar.limit).toFixed(1)}" ` +
          `height="${String(barHeight)}" fill="#cfd8e3"/>` +
          `<text x="${(labelWidth + scale(bar.limit) + 6).toFixed(1)}" y="${String(y + 20)}" font-size="11" ` +
          `fill="#5b6b7d">limit ${format(bar.limit)}</text>`;
    return (
      `<text x="${String(labelWidth - 8)}" y="${String(y + 16)}" font-size="12" text-anchor="end" ` +
      `fill="#1f2933">${escape(bar.label)}</text>` +
      limit +
      `<rect x="${String(labelWidth)}" y="${String(y + 5)}" width="${scale(bar.value).toFixed(1)}" ` +
      `height="${String(barHeight - 10)}" fill="#1f6feb"/>` +
      `<text x="${(labelWidth + scale(bar.value) + 6).toFixed(1)}" y="${String(y + 12)}" font-size="12" ` +
      `fill="#1f2933">${format(bar.value)} ${escape(unit)}</text>`
    );
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${String(width)}" height="${String(height)}" ` +
      `viewBox="0 0 ${String(width)} ${String(height)}" font-family="sans-serif">`,
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    `<text x="12" y="24" font-size="15" font-weight="bold" fill="#1f2933">${escape(title)}</text>`,
    ...rows,
    '</svg>',
    '',
  ].join('\n');
}
