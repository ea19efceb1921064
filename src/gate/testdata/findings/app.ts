const n: number = "one";
function g(s: string): number {
  return s;
}
g(2);
