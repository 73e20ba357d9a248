/** Name of a late-fusion system in runs, reports and reference.json (`late-weighted`, ...). */
export const fusionSystemName = (rule: string): string => `late-${rule}`;
