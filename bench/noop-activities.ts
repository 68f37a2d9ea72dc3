/** The baseline's activities: as many as a reservation with coordinates runs, doing nothing. */
export const noopActivities = {
  noopSearch: async (): Promise<void> => {},
  noopReserve: async (): Promise<void> => {},
};
export type NoopActivities = typeof noopActivities;
