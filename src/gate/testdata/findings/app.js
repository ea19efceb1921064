const unused = 1;
function f(a) {
  if (a == null) { return undefined_var; }
}
f(1);
