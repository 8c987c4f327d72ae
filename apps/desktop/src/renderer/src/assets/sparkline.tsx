/** A small line of means, scaled to its own range: the shape of the last day at a glance. */
export function Sparkline({
  values,
  width = 120,
  height = 28,
}: {
  values: readonly number[];
  width?: number;
  height?: number;
}) {
  if (values.length < 2)
    return <svg className="sparkline" width={width} height={height} aria-hidden="true" />;
  const low = Math.min(...values);
  const high = Math.max(...values);
  const span = high - low || 1;
  const points = values
    .map((value, i) => {
      const x = (i / (values.length - 1)) * width;
      const y = height - 2 - ((value - low) / span) * (height - 4);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
  return (
    <svg className="sparkline" width={width} height={height} aria-hidden="true">
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  );
}
