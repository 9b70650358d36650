/** The daxref tool version written into results. */
export const VERSION = '0.1.0';
