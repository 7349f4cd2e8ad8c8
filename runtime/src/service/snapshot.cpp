// SnapshotWriter: the canvas, the drawing (lines, dots, a bitmap font), PNG encoding through
// libpng opened with dlopen, and the atomic replacement of the file.
#include "snapshot.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "edgert/base/shared_library.hpp"
#include "edgert/kernels/image_convert.hpp"

#include <png.h>

namespace edgert::runtime {

namespace {

// ---- Font -------------------------------------------------------------------------------
// 5x7 glyphs for printable ASCII (32..126), drawn for edgert: a sheet of 8 glyphs per block,
// 7 rows each, '#' ink and '.' paper, one space between glyphs. Capitals and digits fill the
// 7 rows; lower case has a 5-row x-height and the descenders (g j p q y) sit on a raised
// body. parseFont() turns the sheet into bit rows at compile time.
constexpr int kGlyphWidth = 5;
constexpr int kGlyphHeight = 7;
constexpr int kFirstGlyph = 32;
constexpr int kGlyphCount = 126 - kFirstGlyph + 1;
constexpr int kGlyphsPerBlock = 8;
constexpr int kSheetBlocks = (kGlyphCount + kGlyphsPerBlock - 1) / kGlyphsPerBlock;

constexpr std::array<std::string_view, kSheetBlocks * kGlyphHeight> kFontSheet = {
    // sp    !     "     #     $     %     &     '
    "..... ..#.. .#.#. .#.#. ..#.. ##... .##.. ..#..",
    "..... ..#.. .#.#. .#.#. .#### ##..# #..#. ..#..",
    "..... ..#.. ..... ##### #.#.. ...#. #.#.. .#...",
    "..... ..#.. ..... .#.#. .###. ..#.. .#... .....",
    "..... ..#.. ..... ##### ..#.# .#... #.#.# .....",
    "..... ..... ..... .#.#. ####. #..## #..#. .....",
    "..... ..#.. ..... .#.#. ..#.. ...## .##.# .....",
    // (     )     *     +     ,     -     .     /
    "...#. .#... ..... ..... ..... ..... ..... .....",
    "..#.. ..#.. ..#.. ..#.. ..... ..... ..... ....#",
    ".#... ...#. #.#.# ..#.. ..... ..... ..... ...#.",
    ".#... ...#. .###. ##### ..... ##### ..... ..#..",
    ".#... ...#. #.#.# ..#.. .##.. ..... ..... .#...",
    "..#.. ..#.. ..#.. ..#.. ..#.. ..... .##.. #....",
    "...#. .#... ..... ..... .#... ..... .##.. .....",
    // 0     1     2     3     4     5     6     7
    ".###. ..#.. .###. ##### ...#. ##### ..##. #####",
    "#...# .##.. #...# ...#. ..##. #.... .#... ....#",
    "#..## ..#.. ....# ..#.. .#.#. ####. #.... ...#.",
    "#.#.# ..#.. ...#. ...#. #..#. ....# ####. ..#..",
    "##..# ..#.. ..#.. ....# ##### ....# #...# .#...",
    "#...# ..#.. .#... #...# ...#. #...# #...# .#...",
    ".###. .###. ##### .###. ...#. .###. .###. .#...",
    // 8     9     :     ;     <     =     >     ?
    ".###. .###. ..... ..... ...#. ..... .#... .###.",
    "#...# #...# .##.. .##.. ..#.. ..... ..#.. #...#",
    "#...# #...# .##.. .##.. .#... ##### ...#. ....#",
    ".###. .#### ..... ..... #.... ..... ....# ...#.",
    "#...# ....# .##.. .##.. .#... ##### ...#. ..#..",
    "#...# ...#. .##.. ..#.. ..#.. ..... ..#.. .....",
    ".###. .##.. ..... .#... ...#. ..... .#... ..#..",
    // @     A     B     C     D     E     F     G
    ".###. .###. ####. .###. ###.. ##### ##### .###.",
    "#...# #...# #...# #...# #..#. #.... #.... #...#",
    "#.### #...# #...# #.... #...# #.... #.... #....",
    "#.#.# ##### ####. #.... #...# ####. ####. #.###",
    "#.### #...# #...# #.... #...# #.... #.... #...#",
    "#.... #...# #...# #...# #..#. #.... #.... #...#",
    ".###. #...# ####. .###. ###.. ##### #.... .####",
    // H     I     J     K     L     M     N     O
    "#...# .###. ..### #...# #.... #...# #...# .###.",
    "#...# ..#.. ...#. #..#. #.... ##.## #...# #...#",
    "#...# ..#.. ...#. #.#.. #.... #.#.# ##..# #...#",
    "##### ..#.. ...#. ##... #.... #.#.# #.#.# #...#",
    "#...# ..#.. ...#. #.#.. #.... #...# #..## #...#",
    "#...# ..#.. #..#. #..#. #.... #...# #...# #...#",
    "#...# .###. .##.. #...# ##### #...# #...# .###.",
    // P     Q     R     S     T     U     V     W
    "####. .###. ####. .#### ##### #...# #...# #...#",
    "#...# #...# #...# #.... ..#.. #...# #...# #...#",
    "#...# #...# #...# #.... ..#.. #...# #...# #...#",
    "####. #...# ####. .###. ..#.. #...# #...# #.#.#",
    "#.... #.#.# #.#.. ....# ..#.. #...# #...# #.#.#",
    "#.... #..#. #..#. ....# ..#.. #...# .#.#. #.#.#",
    "#.... .##.# #...# ####. ..#.. .###. ..#.. .#.#.",
    // X     Y     Z     [     \     ]     ^     _
    "#...# #...# ##### .###. ..... .###. ..#.. .....",
    "#...# #...# ....# .#... #.... ...#. .#.#. .....",
    ".#.#. .#.#. ...#. .#... .#... ...#. #...# .....",
    "..#.. ..#.. ..#.. .#... ..#.. ...#. ..... .....",
    ".#.#. ..#.. .#... .#... ...#. ...#. ..... .....",
    "#...# ..#.. #.... .#... ....# ...#. ..... .....",
    "#...# ..#.. ##### .###. ..... .###. ..... #####",
    // `     a     b     c     d     e     f     g
    ".#... ..... #.... ..... ....# ..... ..##. .....",
    "..#.. ..... #.... ..... ....# ..... .#..# .####",
    "...#. .###. #.##. .###. .##.# .###. .#... #...#",
    "..... ....# ##..# #.... #..## #...# ###.. #...#",
    "..... .#### #...# #.... #...# ##### .#... .####",
    "..... #...# #...# #...# #...# #.... .#... ....#",
    "..... .#### ####. .###. .#### .###. .#... .###.",
    // h     i     j     k     l     m     n     o
    "#.... ..#.. ...#. #.... .##.. ..... ..... .....",
    "#.... ..... ..... #.... ..#.. ..... ..... .....",
    "#.##. .##.. ..##. #..#. ..#.. ##.#. #.##. .###.",
    "##..# ..#.. ...#. #.#.. ..#.. #.#.# ##..# #...#",
    "#...# ..#.. ...#. ##... ..#.. #.#.# #...# #...#",
    "#...# ..#.. #..#. #.#.. ..#.. #...# #...# #...#",
    "#...# .###. .##.. #..#. .###. #...# #...# .###.",
    // p     q     r     s     t     u     v     w
    "..... ..... ..... ..... .#... ..... ..... .....",
    "####. .#### ..... ..... .#... ..... ..... .....",
    "#...# #...# #.##. .#### ###.. #...# #...# #...#",
    "#...# #...# ##..# #.... .#... #...# #...# #...#",
    "####. .#### #.... .###. .#... #...# #...# #.#.#",
    "#.... ....# #.... ....# .#..# #..## .#.#. #.#.#",
    "#.... ....# #.... ####. ..##. .##.# ..#.. .#.#.",
    // x     y     z     {     |     }     ~
    "..... ..... ..... ...## ..#.. ##... .....",
    "..... #...# ..... ..#.. ..#.. ..#.. .....",
    "#...# #...# ##### ..#.. ..#.. ..#.. .#...",
    ".#.#. #...# ...#. .#... ..#.. ...#. #.#.#",
    "..#.. .#### ..#.. ..#.. ..#.. ..#.. ...#.",
    ".#.#. ....# .#... ..#.. ..#.. ..#.. .....",
    "#...# .###. ##### ...## ..#.. ##... .....",
};

// One glyph: a row per byte, bit 4 the leftmost column.
using Glyph = std::array<std::uint8_t, kGlyphHeight>;

// Every code point the font lacks, control characters and invalid UTF-8 bytes: a hollow box.
constexpr Glyph kBoxGlyph = {0x1F, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1F};

constexpr bool fontSheetWellFormed() {
  for (int block = 0; block < kSheetBlocks; ++block) {
    const int glyphs = std::min(kGlyphsPerBlock, kGlyphCount - block * kGlyphsPerBlock);
    for (int row = 0; row < kGlyphHeight; ++row) {
      const std::string_view line = kFontSheet[static_cast<std::size_t>(block * kGlyphHeight + row)];
      if (line.size() != static_cast<std::size_t>(glyphs * (kGlyphWidth + 1) - 1)) return false;
      for (std::size_t i = 0; i < line.size(); ++i) {
        const bool gap = i % (kGlyphWidth + 1) == kGlyphWidth;
        if (gap ? line[i] != ' ' : line[i] != '#' && line[i] != '.') return false;
      }
    }
  }
  return true;
}
static_assert(fontSheetWellFormed(), "kFontSheet: 7 rows per block of 8 glyphs, 5 columns of '#'/'.' each");

constexpr std::array<Glyph, kGlyphCount> parseFont() {
  std::array<Glyph, kGlyphCount> font{};
  for (int g = 0; g < kGlyphCount; ++g) {
    for (int row = 0; row < kGlyphHeight; ++row) {
      const std::string_view line =
          kFontSheet[static_cast<std::size_t>((g / kGlyphsPerBlock) * kGlyphHeight + row)];
      for (int col = 0; col < kGlyphWidth; ++col) {
        const auto at = static_cast<std::size_t>((g % kGlyphsPerBlock) * (kGlyphWidth + 1) + col);
        if (line[at] == '#') {
          font[static_cast<std::size_t>(g)][static_cast<std::size_t>(row)] |=
              static_cast<std::uint8_t>(1U << (kGlyphWidth - 1 - col));
        }
      }
    }
  }
  return font;
}
constexpr std::array<Glyph, kGlyphCount> kFont = parseFont();

// Bytes of the well-formed UTF-8 sequence at s[i] (1..4), or 0 when the byte there starts
// none: a stray continuation byte, an overlong form, a surrogate, past U+10FFFF, or a
// sequence cut short by the end of `s` (never read past it).
std::size_t utf8SequenceLength(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;  // the allowed range of the second byte
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < length) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (b < (k == 1 ? low : 0x80) || b > (k == 1 ? high : 0xBF)) return 0;
  }
  return length;
}

// The glyph for the text at s[i], and how many bytes it stands for.
const Glyph& glyphAt(std::string_view s, std::size_t i, std::size_t& bytes) {
  const std::size_t length = utf8SequenceLength(s, i);
  bytes = length == 0 ? 1 : length;
  const auto c = static_cast<unsigned char>(s[i]);
  if (length == 1 && c >= kFirstGlyph && c < kFirstGlyph + kGlyphCount) {
    return kFont[static_cast<std::size_t>(c - kFirstGlyph)];
  }
  return kBoxGlyph;
}

// ---- Canvas -----------------------------------------------------------------------------
struct Rgb {
  std::uint8_t r, g, b;
};
constexpr Rgb kOutline{0, 255, 0};
constexpr Rgb kKeypoint{255, 0, 0};
constexpr Rgb kLabelInk{255, 255, 255};
constexpr Rgb kLabelPaper{0, 0, 0};

// Coordinates beyond this are as good as infinitely far off the canvas (kMaxSide is 16384):
// clamping to it keeps every int computation below far from overflow.
constexpr int kFarAway = 1 << 20;

class Canvas {
 public:
  Canvas(std::uint8_t* rgb, int width, int height) : rgb_(rgb), width_(width), height_(height) {}
  int width() const { return width_; }
  int height() const { return height_; }

  void set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
    std::uint8_t* p = rgb_ + (static_cast<std::size_t>(y) * static_cast<std::size_t>(width_) +
                              static_cast<std::size_t>(x)) * 3;
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
  }

  // The pixels x0 <= x < x1, y0 <= y < y1 that lie on the canvas.
  void fill(int x0, int y0, int x1, int y1, Rgb c) {
    x0 = std::max(x0, 0);
    y0 = std::max(y0, 0);
    x1 = std::min(x1, width_);
    y1 = std::min(y1, height_);
    for (int y = y0; y < y1; ++y) {
      for (int x = x0; x < x1; ++x) set(x, y, c);
    }
  }

 private:
  std::uint8_t* rgb_;
  int width_;
  int height_;
};

// A coordinate as an integer in lo..hi, rounded to nearest; NaN gives lo.
int toPixel(float v, int lo, int hi) {
  if (!(v > static_cast<float>(lo))) return lo;  // also NaN
  if (!(v < static_cast<float>(hi))) return hi;
  return static_cast<int>(std::lround(v));
}

// Liang-Barsky: shortens a -> b to its part inside [xMin, xMax] x [yMin, yMax]. False when
// no part is inside. Every coordinate must be finite.
bool clipSegment(double& ax, double& ay, double& bx, double& by, double xMin, double yMin,
                 double xMax, double yMax) {
  const double dx = bx - ax;
  const double dy = by - ay;
  double t0 = 0.0;
  double t1 = 1.0;
  // Each side as p * t <= q.
  const std::array<std::pair<double, double>, 4> sides = {{
      {-dx, ax - xMin}, {dx, xMax - ax}, {-dy, ay - yMin}, {dy, yMax - ay}}};
  for (const auto& [p, q] : sides) {
    if (p == 0.0) {
      if (q < 0.0) return false;  // parallel to this side and outside it
      continue;
    }
    const double t = q / p;
    if (p < 0.0) {
      t0 = std::max(t0, t);
    } else {
      t1 = std::min(t1, t);
    }
    if (t0 > t1) return false;
  }
  const double x0 = ax + t0 * dx;
  const double y0 = ay + t0 * dy;
  bx = ax + t1 * dx;
  by = ay + t1 * dy;
  ax = x0;
  ay = y0;
  return true;
}

// A 2-pixel line along a -> b in continuous coordinates: the brush is the 2x2 pixels around
// each pixel corner on the way, so a box edge at x = 20 colours columns 19 and 20. Clipped
// to the canvas first; non-finite ends draw nothing.
void drawLine(Canvas& canvas, Point a, Point b, Rgb c) {
  if (!std::isfinite(a.x) || !std::isfinite(a.y) || !std::isfinite(b.x) || !std::isfinite(b.y)) {
    return;
  }
  double ax = a.x;
  double ay = a.y;
  double bx = b.x;
  double by = b.y;
  if (!clipSegment(ax, ay, bx, by, -0.5, -0.5, canvas.width() + 0.5, canvas.height() + 0.5)) {
    return;
  }
  int x = static_cast<int>(std::lround(ax));
  int y = static_cast<int>(std::lround(ay));
  const int xEnd = static_cast<int>(std::lround(bx));
  const int yEnd = static_cast<int>(std::lround(by));
  const int dx = std::abs(xEnd - x);
  const int dy = -std::abs(yEnd - y);
  const int stepX = x < xEnd ? 1 : -1;
  const int stepY = y < yEnd ? 1 : -1;
  int err = dx + dy;
  while (true) {
    canvas.fill(x - 1, y - 1, x + 1, y + 1, c);
    if (x == xEnd && y == yEnd) break;
    const int e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x += stepX;
    }
    if (e2 <= dx) {
      err += dx;
      y += stepY;
    }
  }
}

void drawOutline(Canvas& canvas, const Detection& d) {
  Quad quad = d.corners;
  if (!d.hasCorners) {
    if (d.x0 == d.x1 && d.y0 == d.y1) return;  // no region (a classification)
    quad = {Point{d.x0, d.y0}, Point{d.x1, d.y0}, Point{d.x1, d.y1}, Point{d.x0, d.y1}};
  }
  for (std::size_t i = 0; i < quad.size(); ++i) {
    drawLine(canvas, quad[i], quad[(i + 1) % quad.size()], kOutline);
  }
}

void drawKeypoints(Canvas& canvas, const Detection& d) {
  const int count = std::clamp(d.numKeypoints, 0, kMaxKeypoints);
  for (int i = 0; i < count; ++i) {
    const auto& [x, y] = d.keypoints[static_cast<std::size_t>(i)];
    // Dots wholly off the canvas (or at NaN) are skipped before any conversion to int.
    if (!(x > -2.0F && x < canvas.width() + 2.0F && y > -2.0F && y < canvas.height() + 2.0F)) {
      continue;
    }
    const auto px = static_cast<int>(std::floor(x));  // the pixel holding the point
    const auto py = static_cast<int>(std::floor(y));
    canvas.fill(px - 1, py - 1, px + 2, py + 2, kKeypoint);
  }
}

// A label: the text (if any), a space, the score with 2 decimals.
class Label {
 public:
  explicit Label(const Detection& d) {
    const auto r = fmt::format_to_n(score_.data(), score_.size(), "{:.2f}", d.score);
    parts_ = {d.text, d.text.empty() ? std::string_view() : std::string_view(" "),
              std::string_view(score_.data(), std::min(r.size, score_.size()))};
  }

  // Calls fn(glyph) for each glyph in order until fn returns false.
  template <typename Fn>
  void forEachGlyph(Fn&& fn) const {
    for (const std::string_view part : parts_) {
      std::size_t bytes = 0;
      for (std::size_t i = 0; i < part.size(); i += bytes) {
        if (!fn(glyphAt(part, i, bytes))) return;
      }
    }
  }

 private:
  std::array<char, 24> score_{};
  std::array<std::string_view, 3> parts_;
};

void drawLabel(Canvas& canvas, const Detection& d, int scale) {
  const Label label(d);
  const int advance = (kGlyphWidth + 1) * scale;
  // Glyphs that can show: more than fit across the canvas are clipped anyway.
  const int maxGlyphs = canvas.width() / advance + 1;
  int glyphs = 0;
  label.forEachGlyph([&](const Glyph&) { return ++glyphs < maxGlyphs; });
  const int width = scale + glyphs * advance;  // 1 pixel (scaled) of paper on the left
  const int height = (kGlyphHeight + 2) * scale;

  // Above the box (clear of its outline, which reaches up to y0 - 1); below it where there
  // is no room above; always inside the canvas where it fits.
  const int top = toPixel(d.y0, -kFarAway, kFarAway);
  const int bottom = toPixel(d.y1, -kFarAway, kFarAway);
  int y = top - 1 - height;
  if (y < 0) y = bottom + 1;
  y = std::clamp(y, 0, std::max(0, canvas.height() - height));
  const int x = toPixel(d.x0, 0, std::max(0, canvas.width() - width));

  canvas.fill(x, y, x + width, y + height, kLabelPaper);
  int left = x + scale;
  int drawn = 0;
  label.forEachGlyph([&](const Glyph& glyph) {
    for (int row = 0; row < kGlyphHeight; ++row) {
      for (int col = 0; col < kGlyphWidth; ++col) {
        if (((glyph[static_cast<std::size_t>(row)] >> (kGlyphWidth - 1 - col)) & 1U) == 0) continue;
        const int px = left + col * scale;
        const int py = y + scale + row * scale;
        canvas.fill(px, py, px + scale, py + scale, kLabelInk);
      }
    }
    left += advance;
    return ++drawn < glyphs;
  });
}

// ---- PNG --------------------------------------------------------------------------------
// libpng's simplified write API, the library opened on the first snapshot (thread-safe; it
// stays open): the soname of the headers built against.
static_assert(PNG_LIBPNG_VER_SONUM == 16, "libpng16.so.16 below is the ABI of these headers");
struct PngWriteLibrary {
  decltype(&::png_image_write_to_memory) writeToMemory = nullptr;
  bool ok = false;
  std::string error;  // why not, when !ok
};

const PngWriteLibrary& pngWriteLibrary() {
  static const PngWriteLibrary lib = [] {
    constexpr const char* kSoname = "libpng16.so.16";
    PngWriteLibrary l;
    void* handle = dl::open(kSoname, l.error);
    if (handle == nullptr) return l;
    l.ok = dl::bind(handle, kSoname, "png_image_write_to_memory", l.writeToMemory, l.error);
    return l;
  }();
  return lib;
}

// ---- Files ------------------------------------------------------------------------------
// The temporary file of one write: closed, and removed unless it was renamed into place.
class TemporaryFile {
 public:
  TemporaryFile(int fd, const std::string& path) : fd_(fd), path_(path) {}
  ~TemporaryFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!renamed_) ::unlink(path_.c_str());
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

  int fd() const { return fd_; }
  // close(2)'s result: NFS and some FUSE file systems report write errors only here.
  int close() { return ::close(std::exchange(fd_, -1)); }
  void keep() { renamed_ = true; }

 private:
  int fd_;
  const std::string& path_;
  bool renamed_ = false;
};

bool writeAll(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) {  // not for a regular file; never loop on it
      errno = EIO;
      return false;
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

Result<SnapshotWriter> SnapshotWriter::create(int width, int height, std::string directory) {
  if (width < 1 || height < 1 || width > kMaxSide || height > kMaxSide) {
    return makeError(Errc::kInvalidArgument, "snapshot: frame size {}x{} outside 1..{} per side", width,
                     height, kMaxSide);
  }
  if (directory.empty()) return makeError(Errc::kInvalidArgument, "snapshot: no directory given");
  if (directory.find('\0') != std::string::npos) {
    return makeError(Errc::kInvalidArgument, "snapshot: the directory name contains a NUL byte");
  }
  SnapshotWriter w;
  w.width_ = width;
  w.height_ = height;
  w.fontScale_ = width >= 640 ? 2 : 1;
  const std::string prefix = directory.back() == '/' ? directory : directory + '/';
  w.path_ = prefix + kFileName;
  w.tmpTemplate_ = prefix + '.' + kFileName + ".XXXXXX";
  w.tmpPath_.reserve(w.tmpTemplate_.size());
  w.directory_ = std::move(directory);
  w.canvas_.assign(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3, 0);
  return w;
}

std::size_t SnapshotWriter::memoryBytes() const {
  return canvas_.capacity() + png_.capacity() + directory_.capacity() + path_.capacity() +
         tmpTemplate_.capacity() + tmpPath_.capacity();
}

Result<void> SnapshotWriter::checkFrame(const ImageView& frame) const {
  if (frame.width != width_ || frame.height != height_) {
    return makeError(Errc::kInvalidArgument, "snapshot {}: frame is {}x{}, expected {}x{}", path_,
                     frame.width, frame.height, width_, height_);
  }
  if (frame.format == PixelFormat::kMjpeg || !validImageSize(frame.format, frame.width, frame.height)) {
    return makeError(Errc::kUnsupported, "snapshot {}: cannot convert a {}x{} {} frame", path_,
                     frame.width, frame.height, pixelFormatName(frame.format));
  }
  for (int plane = 0; plane < planeCount(frame.format); ++plane) {
    const auto p = static_cast<std::size_t>(plane);
    if (frame.planes[p] == nullptr || frame.strides[p] < packedStride(frame.format, frame.width, plane)) {
      return makeError(Errc::kInvalidArgument, "snapshot {}: {} frame plane {}: no data or stride {} < {}",
                       path_, pixelFormatName(frame.format), plane, frame.strides[p],
                       packedStride(frame.format, frame.width, plane));
    }
  }
  return success();
}

void SnapshotWriter::draw(std::span<const Detection> detections) {
  Canvas canvas(canvas_.data(), width_, height_);
  for (const Detection& d : detections) {
    drawOutline(canvas, d);
    drawKeypoints(canvas, d);
  }
  // Labels last, so that no outline crosses one.
  for (const Detection& d : detections) drawLabel(canvas, d, fontScale_);
}

Result<std::size_t> SnapshotWriter::encodePng() {
  const PngWriteLibrary& png = pngWriteLibrary();
  if (!png.ok) return makeError(Errc::kUnsupported, "snapshot {}: {}", path_, png.error);
  // The buffer grows to what libpng says it needs (the first time: a pass that only counts)
  // with 1/8 to spare, as the next frames compress differently.
  for (int attempt = 0; attempt < 2; ++attempt) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    image.width = static_cast<png_uint_32>(width_);
    image.height = static_cast<png_uint_32>(height_);
    image.format = PNG_FORMAT_RGB;
    image.flags = PNG_IMAGE_FLAG_FAST;  // an edge CPU: speed over size
    const std::size_t capacity = png_.size();
    png_alloc_size_t size = capacity;
    const int ok = png.writeToMemory(&image, capacity == 0 ? nullptr : png_.data(), &size, 0,
                                     canvas_.data(), 0, nullptr);
    if (ok != 0 && capacity != 0) return static_cast<std::size_t>(size);
    const bool tooSmall = capacity == 0 ? ok != 0 : size > capacity;
    if (!tooSmall) {
      return makeError(Errc::kInternal, "snapshot {}: encoding the PNG failed: {}", path_, image.message);
    }
    png_.resize(static_cast<std::size_t>(size) + static_cast<std::size_t>(size) / 8);
  }
  return makeError(Errc::kInternal, "snapshot {}: the PNG did not fit the {} bytes libpng asked for", path_,
                   png_.size());
}

Result<void> SnapshotWriter::replaceFile(std::span<const std::uint8_t> bytes) {
  tmpPath_.assign(tmpTemplate_);  // the capacity is reserved: no allocation
  const int fd = ::mkostemp(tmpPath_.data(), O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return Error::fromErrno(err,
                            fmt::format("snapshot {}: creating a temporary file in {}", path_, directory_));
  }
  TemporaryFile file(fd, tmpPath_);
  // mkostemp makes it 0600. A failure (vfat, which has no modes) is no reason to lose the
  // snapshot.
  (void)::fchmod(fd, 0644);
  const auto failed = [this](const char* what) {
    const int err = errno;
    return Error::fromErrno(err, fmt::format("snapshot {}: {} {}", path_, what, tmpPath_));
  };
  if (!writeAll(file.fd(), bytes)) return failed("writing");
  if (::fsync(file.fd()) != 0) return failed("fsync of");
  if (file.close() != 0) return failed("closing");
  if (::rename(tmpPath_.c_str(), path_.c_str()) != 0) return failed("renaming");
  file.keep();

  // The rename itself made durable: without this a power loss can bring back the old file
  // (or none).
  const int dir = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    const int err = errno;
    return Error::fromErrno(err,
                            fmt::format("snapshot {}: written, but opening {} to fsync it", path_, directory_));
  }
  // EINVAL: a file system that cannot sync a directory (it has nothing to sync).
  const bool synced = ::fsync(dir) == 0 || errno == EINVAL;
  const int err = errno;
  ::close(dir);
  if (!synced) {
    return Error::fromErrno(err, fmt::format("snapshot {}: written, but fsync of {}", path_, directory_));
  }
  return success();
}

Result<std::string> SnapshotWriter::write(const ImageView& frame, std::span<const Detection> detections) {
  EDGERT_TRY(checkFrame(frame));
  kernels::convertToRgb24(frame, canvas_);
  draw(detections);
  EDGERT_ASSIGN_OR_RETURN(const std::size_t size, encodePng());
  EDGERT_TRY(replaceFile(std::span<const std::uint8_t>(png_.data(), size)));
  return path_;
}

}  // namespace edgert::runtime
