import { allPolicies, CATALOGUE } from '@daxref/bench';
import type { Command } from 'commander';

async function list(): Promise<void> {
  const policies = await allPolicies();
  console.log('policies (name@variant; * = default):');
  const w = Math.max(...policies.map((p) => p.id.length));
  for (const p of policies) console.log(`  ${p.default ? '*' : ' '} ${p.id.padEnd(w)}  ${p.title}`);
  console.log('\nscenarios:');
  const sw = Math.max(...CATALOGUE.map((e) => e.scenario.id.length));
  for (const e of CATALOGUE) {
    console.log(
      `  ${e.scenario.id.padEnd(sw)}  ${e.kind === 'workload' ? '[workload] ' : ''}${e.scenario.title}`,
    );
    console.log(`  ${''.padEnd(sw)}  source: ${e.scenario.source}`);
  }
}

/** `daxref list`: the designs with their variants, the scenarios with titles and sources. */
export function register(program: Command): void {
  program
    .command('list')
    .description('the policies with their variants, and the scenarios with titles and sources')
    .action(list);
}
