/** Shows the trend view for these series (the `?view=trends` screen, like a popped-out window). */
export function openTrendWindow(seriesIds: readonly number[]): void {
  const query = new URLSearchParams({ view: 'trends', series: seriesIds.join(',') });
  window.location.assign(`?${query.toString()}`);
}
