import { describe, expect, it } from 'vitest';
import { OVERVIEW_HEADING, parseKnowledgeFile } from './knowledge.service.js';

const ENVASADORA = [
  '---',
  'title: Envasadoras Seleto',
  'product: Envasadora',
  'keywords: envasadora, envazadora , máquina de envase,',
  '---',
  '> Conteúdo ilustrativo de exemplo: substitua pelo catálogo real da Seleto.',
  '',
  'Envasadoras para líquidos e pastosos.',
  '',
  '## Para que serve',
  '',
  'Enche frascos com o volume certo.',
  '',
  '## Modelos',
  '',
  '- Semiautomática',
  '### Opcionais',
  'Bicos mergulhantes.',
].join('\n');

describe('parseKnowledgeFile', () => {
  it('reads title, product and trimmed keywords from the front matter', () => {
    const file = parseKnowledgeFile('envasadora.md', ENVASADORA);
    expect(file.title).toBe('Envasadoras Seleto');
    expect(file.product).toBe('Envasadora');
    expect(file.keywords).toEqual(['envasadora', 'envazadora', 'máquina de envase']);
  });

  it('splits the body at each ## heading and keeps deeper headings inside their section', () => {
    const { chunks } = parseKnowledgeFile('envasadora.md', ENVASADORA);
    expect(chunks.map((chunk) => chunk.heading)).toEqual([OVERVIEW_HEADING, 'Para que serve', 'Modelos']);
    expect(chunks[1]?.content).toBe('Enche frascos com o volume certo.');
    expect(chunks[2]?.content).toBe('- Semiautomática\n### Opcionais\nBicos mergulhantes.');
  });

  it('leaves the sample-content note out of the overview', () => {
    const { chunks } = parseKnowledgeFile('envasadora.md', ENVASADORA);
    expect(chunks[0]).toEqual({
      heading: OVERVIEW_HEADING,
      content: 'Envasadoras para líquidos e pastosos.',
    });
  });

  it('has no overview when only the front matter and the note come before the first section', () => {
    const text =
      '---\ntitle: FAQ\n---\n> Conteudo ilustrativo de exemplo.\n\n## Onde atendemos\nTodo o Brasil.';
    const file = parseKnowledgeFile('faq.md', text);
    expect(file.product).toBeNull();
    expect(file.keywords).toEqual([]);
    expect(file.chunks).toEqual([{ heading: 'Onde atendemos', content: 'Todo o Brasil.' }]);
  });

  it('reads Windows line endings like Unix ones', () => {
    const file = parseKnowledgeFile('envasadora.md', ENVASADORA.replace(/\n/g, '\r\n'));
    expect(file.title).toBe('Envasadoras Seleto');
    expect(file.chunks[1]).toEqual({
      heading: 'Para que serve',
      content: 'Enche frascos com o volume certo.',
    });
  });

  it('falls back to the # title, then to the file name, when the front matter has none', () => {
    expect(parseKnowledgeFile('x.md', '# Rotuladoras\n\n## Modelos\nDe mesa.').title).toBe('Rotuladoras');
    expect(parseKnowledgeFile('seladora.md', '## Modelos\nPor indução.').title).toBe('seladora');
  });

  it('drops empty sections and merges a repeated heading into the first', () => {
    const text = '## Modelos\nDe mesa.\n## Vazia\n\n## Modelos\nAutomática.';
    expect(parseKnowledgeFile('x.md', text).chunks).toEqual([
      { heading: 'Modelos', content: 'De mesa.\nAutomática.' },
    ]);
  });

  it('drops quotes and list brackets around front-matter values', () => {
    const text = '---\ntitle: "Tampadoras"\nkeywords: [tampadora, rosqueadora]\n---\n## Modelos\nLinear.';
    const file = parseKnowledgeFile('tampadora.md', text);
    expect(file.title).toBe('Tampadoras');
    expect(file.keywords).toEqual(['tampadora', 'rosqueadora']);
  });
});
