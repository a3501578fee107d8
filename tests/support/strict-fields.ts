import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** One thing wrong with a manifest, at a path such as `spec.template.spec.containers[0].imagee`. */
export interface FieldProblem {
  path: string;
  problem: string;
}

const kindsFile = fileURLToPath(new URL('./manifest-kinds.ts', import.meta.url));

/**
 * The unknown-field check that kubernetes-models' validators do not make: walks an object against
 * the TypeScript interface the model package ships for its kind (read with the TypeScript compiler
 * from manifest-kinds.ts), reporting every field the schema does not have and every value of the
 * wrong type (a number where a label needs a string). Maps (`labels`, `data`) allow any key.
 */
export class StrictFieldChecker {
  private readonly checker: ts.TypeChecker;
  private readonly kinds = new Map<string, ts.Type>();

  constructor() {
    const program = ts.createProgram([kindsFile], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
    });
    this.checker = program.getTypeChecker();
    const source = program.getSourceFile(kindsFile);
    const declaration = source?.statements.find((node): node is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(node) && node.name.text === 'ManifestKinds');
    if (!declaration) throw new Error(`no ManifestKinds interface in ${kindsFile}`);
    for (const property of this.checker.getPropertiesOfType(this.checker.getTypeAtLocation(declaration))) {
      this.kinds.set(property.name, this.checker.getTypeOfSymbol(property));
    }
  }

  /** `apiVersion/kind` of every kind the checker knows. */
  knownKinds(): string[] {
    return [...this.kinds.keys()];
  }

  check(object: unknown): FieldProblem[] {
    const problems: FieldProblem[] = [];
    if (!isPlainObject(object)) return [{ path: '', problem: 'not an object' }];
    const key = `${String(object.apiVersion)}/${String(object.kind)}`;
    const type = this.kinds.get(key);
    if (!type) return [{ path: '', problem: `kind ${key} is not known to the strict check` }];
    this.walk(object, type, '', problems);
    return problems;
  }

  private walk(value: unknown, declared: ts.Type, path: string, problems: FieldProblem[]): void {
    if (declared.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
    if (value === null || value === undefined) {
      problems.push({ path, problem: 'empty value (null)' });
      return;
    }
    const type = this.checker.getNonNullableType(declared);
    const members = type.isUnion() ? type.types : [type];
    const expected = () => this.checker.typeToString(type);

    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      if (!members.some((member) => acceptsPrimitive(member, value))) {
        problems.push({ path, problem: `${JSON.stringify(value)} (${typeof value}) where the schema has ${expected()}` });
      }
      return;
    }
    if (Array.isArray(value)) {
      const array = members.find((member) => this.checker.isArrayType(member));
      if (!array) {
        problems.push({ path, problem: `a list where the schema has ${expected()}` });
        return;
      }
      const element = this.checker.getTypeArguments(array as ts.TypeReference)[0];
      if (element) value.forEach((item, index) => this.walk(item, element, `${path}[${index}]`, problems));
      return;
    }
    if (!isPlainObject(value)) {
      problems.push({ path, problem: `unexpected ${typeof value}` });
      return;
    }
    const objects = members.filter((member) => member.flags & ts.TypeFlags.Object && !this.checker.isArrayType(member));
    if (objects.length === 0) {
      problems.push({ path, problem: `an object where the schema has ${expected()}` });
      return;
    }
    // Of several object shapes, the one the value fits best.
    let best: FieldProblem[] | undefined;
    for (const candidate of objects) {
      const found: FieldProblem[] = [];
      this.walkObject(value, candidate, path, found);
      if (!best || found.length < best.length) best = found;
      if (found.length === 0) break;
    }
    problems.push(...(best ?? []));
  }

  private walkObject(value: Record<string, unknown>, type: ts.Type, path: string, problems: FieldProblem[]): void {
    const index = this.checker.getIndexInfoOfType(type, ts.IndexKind.String);
    for (const [key, field] of Object.entries(value)) {
      const fieldPath = path ? `${path}.${key}` : key;
      const property = this.checker.getPropertyOfType(type, key);
      if (property) this.walk(field, this.checker.getTypeOfSymbol(property), fieldPath, problems);
      else if (index) this.walk(field, index.type, fieldPath, problems);
      else problems.push({ path: fieldPath, problem: `unknown field "${key}"` });
    }
  }
}

function acceptsPrimitive(member: ts.Type, value: string | number | boolean): boolean {
  if (typeof value === 'string') {
    if (member.isStringLiteral()) return member.value === value;
    return (member.flags & ts.TypeFlags.String) !== 0 || (member.flags & ts.TypeFlags.TemplateLiteral) !== 0;
  }
  if (typeof value === 'number') {
    if (member.isNumberLiteral()) return member.value === value;
    return (member.flags & ts.TypeFlags.Number) !== 0;
  }
  return (member.flags & ts.TypeFlags.BooleanLike) !== 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
