/** The usage period a moment belongs to: its UTC calendar month, `YYYY-MM` (sorts as it reads). */
export function usagePeriodOf(moment: Date): string {
  return moment.toISOString().slice(0, 7);
}
