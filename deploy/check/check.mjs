// Offline checks of the deploy/ templates (deploy/README.md): no AWS account, no cfn-lint.
//
// CloudFormation and SAM (.yaml): every resource type and every property name exists in the
// current CloudFormation + SAM resource spec (npm @aws-cdk/aws-service-spec); every Ref, GetAtt,
// ${...} in Sub and condition names something declared (GetAtt: an attribute the type has).
// Terraform (.tf): HashiCorp's own HCL parser (npm @cdktf/hcl2json) parses it, and every
// resource, data source, variable and local it references is declared.
//
//   node check.mjs FILE...    -> one line per problem, exit 1 if any
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import { parse as parseHcl } from '@cdktf/hcl2json';

const problems = [];
const problem = (file, text) => problems.push(`${file}: ${text}`);

// CloudFormation's short forms (!Ref, !GetAtt, ...) as their long JSON forms.
const tag = (name, kind) => new yaml.Type(`!${name}`, {
  kind,
  construct: (data) => (name === 'Ref' ? { Ref: data }
    : name === 'GetAtt' && typeof data === 'string' ? { 'Fn::GetAtt': data.split('.') }
    : { [name === 'Condition' ? 'Condition' : `Fn::${name}`]: data }),
});
const names = ['Ref', 'Sub', 'GetAtt', 'If', 'Equals', 'Not', 'And', 'Or', 'Select', 'Join',
  'Split', 'FindInMap', 'Base64', 'Condition', 'ImportValue', 'GetAZs', 'Cidr'];
const schema = yaml.DEFAULT_SCHEMA.extend(
  names.flatMap((n) => ['scalar', 'sequence', 'mapping'].map((k) => tag(n, k))));

let spec;
function resourceSpec(type) {
  spec ??= loadAwsServiceSpecSync();
  const found = spec.lookup('resource', 'cloudFormationType', 'equals', type);
  return found.length === 1 ? found.only() : undefined;
}

// Calls fn(node) on every object in a template value.
function walk(value, fn) {
  if (Array.isArray(value)) value.forEach((v) => walk(v, fn));
  else if (value && typeof value === 'object') {
    fn(value);
    Object.values(value).forEach((v) => walk(v, fn));
  }
}

function checkCloudFormation(file) {
  let t;
  try {
    t = yaml.load(readFileSync(file, 'utf8'), { schema });
  } catch (e) {
    problem(file, `YAML: ${e.reason ?? e.message} (line ${(e.mark?.line ?? -1) + 1})`);
    return;
  }
  const resources = t.Resources ?? {};
  const params = new Set(Object.keys(t.Parameters ?? {}));
  const conditions = new Set(Object.keys(t.Conditions ?? {}));
  const attrs = new Map();  // logical id -> attribute names (undefined: not checked)
  for (const [id, r] of Object.entries(resources)) {
    const s = resourceSpec(r.Type);
    if (!s) { problem(file, `${id}: unknown resource type ${r.Type}`); continue; }
    for (const p of Object.keys(r.Properties ?? {})) {
      if (!(p in s.properties)) problem(file, `${id}: ${r.Type} has no property ${p}`);
    }
    if (r.Condition && !conditions.has(r.Condition)) {
      problem(file, `${id}: unknown condition ${r.Condition}`);
    }
    // SAM's resources have no attributes in the spec; those it generates are added below.
    attrs.set(id, r.Type.startsWith('AWS::Serverless::') ? undefined : Object.keys(s.attributes));
    if (r.Type === 'AWS::Serverless::Function') {
      if (r.Properties?.FunctionUrlConfig) attrs.set(`${id}Url`, ['FunctionUrl', 'FunctionArn']);
      if (Object.values(r.Properties?.Events ?? {}).some((e) => e.Type === 'HttpApi')) {
        attrs.set('ServerlessHttpApi', undefined);
      }
    }
  }
  const declared = (id) => params.has(id) || attrs.has(id) || id.startsWith('AWS::');
  const checkGetAtt = (id, attr, where) => {
    if (!attrs.has(id)) problem(file, `${where}: GetAtt of unknown resource ${id}`);
    else if (attrs.get(id) && !attrs.get(id).includes(attr)) {
      problem(file, `${where}: ${id} has no attribute ${attr}`);
    }
  };
  for (const [section, body] of [['Resources', resources], ['Outputs', t.Outputs ?? {}]]) {
    walk(body, (node) => {
      if (typeof node.Ref === 'string' && !declared(node.Ref)) {
        problem(file, `${section}: Ref to unknown ${node.Ref}`);
      }
      if (Array.isArray(node['Fn::GetAtt'])) {
        checkGetAtt(node['Fn::GetAtt'][0], node['Fn::GetAtt'][1], section);
      }
      if (Array.isArray(node['Fn::If']) && !conditions.has(node['Fn::If'][0])) {
        problem(file, `${section}: Fn::If on unknown condition ${node['Fn::If'][0]}`);
      }
      const sub = node['Fn::Sub'];
      const text = typeof sub === 'string' ? sub : Array.isArray(sub) ? sub[0] : undefined;
      const locals = Array.isArray(sub) ? Object.keys(sub[1] ?? {}) : [];
      for (const [, ref] of (text ?? '').matchAll(/\$\{([^!}][^}]*)\}/g)) {
        const [id, attr] = ref.split('.');
        if (locals.includes(id)) continue;
        if (attr) checkGetAtt(id, attr, section);
        else if (!declared(id)) problem(file, `${section}: \${${id}} names nothing declared`);
      }
    });
  }
  for (const [id, o] of Object.entries(t.Outputs ?? {})) {
    if (o.Condition && !conditions.has(o.Condition)) {
      problem(file, `output ${id}: unknown condition ${o.Condition}`);
    }
  }
}

async function checkTerraform(file) {
  let tf;
  try {
    tf = await parseHcl(file, readFileSync(file, 'utf8'));
  } catch (e) {
    problem(file, `HCL: ${String(e.message ?? e).split('\n')[0]}`);
    return;
  }
  const declared = new Set();
  for (const [type, byName] of Object.entries(tf.resource ?? {})) {
    for (const name of Object.keys(byName)) declared.add(`${type}.${name}`);
  }
  for (const [type, byName] of Object.entries(tf.data ?? {})) {
    for (const name of Object.keys(byName)) declared.add(`data.${type}.${name}`);
  }
  for (const name of Object.keys(tf.variable ?? {})) declared.add(`var.${name}`);
  for (const block of tf.locals ?? []) for (const name of Object.keys(block)) declared.add(`local.${name}`);
  const text = JSON.stringify(tf);
  const refs = /\b(data\.[a-z0-9_]+\.[a-z0-9_]+|aws_[a-z0-9_]+\.[a-z0-9_]+|var\.[a-z0-9_]+|local\.[a-z0-9_]+)/g;
  for (const [, ref] of text.matchAll(refs)) {
    if (!declared.has(ref)) problem(file, `reference to undeclared ${ref}`);
  }
}

for (const file of process.argv.slice(2)) {
  if (file.endsWith('.tf')) await checkTerraform(file);
  else checkCloudFormation(file);
}
problems.forEach((p) => console.log(p));
console.log(`deploy check: ${process.argv.length - 2} files, ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
