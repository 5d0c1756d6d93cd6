import unicodedata, sys
def ranges(pred):
    out=[]; start=None
    for cp in range(0x110000):
        ok=pred(cp)
        if ok and start is None: start=cp
        if not ok and start is not None: out.append((start,cp-1)); start=None
    if start is not None: out.append((start,0x10FFFF))
    return out
L=ranges(lambda c: unicodedata.category(chr(c)).startswith('L'))
N=ranges(lambda c: unicodedata.category(chr(c)).startswith('N'))
# lowercase: simple deltas grouped in runs (lo, hi, stride, delta)
single=[]; multi=[]
for cp in range(0x110000):
    ch=chr(cp); lo=ch.lower()
    if lo==ch: continue
    if len(lo)==1: single.append((cp,ord(lo)-cp))
    else: multi.append((cp,[ord(x) for x in lo]))
runs=[]
for cp,d in single:
    if runs:
        lo,hi,st,dd=runs[-1]
        if dd==d and ((st==0 and cp-hi in (1,2)) or (st and cp-hi==st)):
            runs[-1]=(lo,cp,cp-hi,d); continue
    runs.append((cp,cp,0,d))
def fmt(items, per):
    lines=[]
    for i in range(0,len(items),per): lines.append('    '+' '.join(items[i:i+per]))
    return '\n'.join(lines)
o=[]
o.append('// GENERATED from Python %s unicodedata (Unicode %s) by the script in tokenizer_unicode.h; do not edit.'%(sys.version.split()[0],unicodedata.unidata_version))
o.append('// Tables for the CLIP tokenizer: \\p{L}, \\p{N} and full lower-case mapping.')
o.append('#include "sd/tokenizer_unicode.h"\n\n#include <algorithm>\n#include <cstdint>\n\nnamespace atelier::sd::unicode {\nnamespace {\n')
o.append('struct Range { uint32_t lo, hi; };')
o.append('const Range kLetters[] = {\n'+fmt(['{0x%X,0x%X},'%r for r in L],8)+'\n};')
o.append('const Range kNumbers[] = {\n'+fmt(['{0x%X,0x%X},'%r for r in N],8)+'\n};')
o.append('struct LowerRun { uint32_t lo, hi; uint32_t stride; int32_t delta; };  // stride 0: single code point')
o.append('const LowerRun kLower[] = {\n'+fmt(['{0x%X,0x%X,%d,%d},'%r for r in runs],6)+'\n};')
assert len(multi)==1 and multi[0][0]==0x130, multi
o.append('''
bool inRanges(const Range* begin, const Range* end, uint32_t cp) {
  const Range* it = std::upper_bound(begin, end, cp, [](uint32_t v, const Range& r) { return v < r.lo; });
  return it != begin && cp <= (it - 1)->hi;
}

}  // namespace

bool isLetter(uint32_t cp) { return inRanges(std::begin(kLetters), std::end(kLetters), cp); }
bool isNumber(uint32_t cp) { return inRanges(std::begin(kNumbers), std::end(kNumbers), cp); }

bool isWhitespace(uint32_t cp) {
  return (cp >= 9 && cp <= 13) || cp == 32 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000;
}

void appendLower(uint32_t cp, std::u32string& out) {
  if (cp == 0x130) { out.push_back(0x69); out.push_back(0x307); return; }   // the only multi-code-point case
  const LowerRun* b = std::begin(kLower);
  const LowerRun* e = std::end(kLower);
  const LowerRun* it = std::upper_bound(b, e, cp, [](uint32_t v, const LowerRun& r) { return v < r.lo; });
  if (it != b) {
    const LowerRun& r = *(it - 1);
    if (cp <= r.hi && (r.stride == 0 || (cp - r.lo) % r.stride == 0)) {
      out.push_back(static_cast<uint32_t>(static_cast<int64_t>(cp) + r.delta));
      return;
    }
  }
  out.push_back(cp);
}

}  // namespace atelier::sd::unicode''')
print('\n'.join(o))
print(len(L),len(N),len(runs),file=sys.stderr)
# self-check
import bisect
los=[r[0] for r in runs]
for cp in range(0x110000):
    if cp==0x130: continue
    i=bisect.bisect_right(los,cp)-1
    got=cp
    if i>=0:
        lo,hi,st,d=runs[i]
        if cp<=hi and (st==0 or (cp-lo)%st==0): got=cp+d
    exp=chr(cp).lower()
    assert chr(got)==exp, hex(cp)
print("selfcheck ok",file=sys.stderr)
