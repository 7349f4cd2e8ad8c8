#include "edgert/base/toml_schema.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <limits>

namespace edgert {
namespace {

constexpr std::string_view kSource = "test.toml";

// Parses `text` (which must be valid TOML) and runs `read` over it as a schema.
Result<void> check(std::string_view text, const std::function<void(TableReader&)>& read) {
  Result<toml::table> document = parseToml(text, kSource);
  if (!document) {
    ADD_FAILURE() << "test TOML does not parse: " << document.error().message();
    return std::move(document).error();
  }
  return readSchema(*document, kSource, read);
}

// The message of a failed check(), or "" when it passed.
std::string problems(std::string_view text, const std::function<void(TableReader&)>& read) {
  Result<void> result = check(text, read);
  if (result) return "";
  EXPECT_EQ(result.error().code(), Errc::kSchema);
  return result.error().message();
}

// describeFound() of the value of `value = ...`.
std::string foundOf(std::string_view valueText) {
  Result<toml::table> document = parseToml(fmt::format("value = {}\n", valueText), kSource);
  if (!document) return "parse error: " + document.error().message();
  const toml::node* node = document->get("value");
  return node != nullptr ? describeFound(*node) : "missing";
}

TEST(TomlSchemaParse, ReturnsTheTable) {
  Result<toml::table> document = parseToml("a = 1\n[b]\nc = \"x\"\n", kSource);
  ASSERT_TRUE(document) << document.error().message();
  EXPECT_EQ(document->at_path("b.c").value<std::string>(), "x");
}

TEST(TomlSchemaParse, SyntaxErrorHasPositionAndDescription) {
  Result<toml::table> document = parseToml("a = 1\nb = [1, 2\n", kSource);
  ASSERT_FALSE(document);
  EXPECT_EQ(document.error().code(), Errc::kParse);
  EXPECT_EQ(document.error().message(),
            "test.toml:2:11: Error while parsing array: encountered end-of-file");
}

TEST(TomlSchemaParse, RedefinedKeyIsAParseError) {
  Result<toml::table> document = parseToml("a = 1\na = 2\n", kSource);
  ASSERT_FALSE(document);
  EXPECT_EQ(document.error().code(), Errc::kParse);
  EXPECT_EQ(document.error().message(),
            "test.toml:2:5: Error while parsing key-value pair: cannot redefine existing "
            "integer 'a'");
}

TEST(TomlSchemaParse, MissingFileIsNotFound) {
  Result<toml::table> document = parseTomlFile("/nonexistent-edgert/app.toml");
  ASSERT_FALSE(document);
  EXPECT_EQ(document.error().code(), Errc::kNotFound);
  EXPECT_EQ(document.error().message(),
            "open /nonexistent-edgert/app.toml: No such file or directory");
}

TEST(TomlSchemaParse, DirectoryIsAnIoError) {
  Result<toml::table> document = parseTomlFile(EDGERT_TEST_DATA_DIR);
  ASSERT_FALSE(document);
  EXPECT_EQ(document.error().code(), Errc::kIo);
  EXPECT_EQ(document.error().message(), fmt::format("read {}: Is a directory", EDGERT_TEST_DATA_DIR));
}

TEST(TomlSchemaParse, ReadsAFileAndNamesItInErrors) {
  const std::string path = testing::TempDir() + "toml_schema_test_file.toml";
  {
    std::ofstream out(path);
    out << "# comment\nx = 1\nx = 2\n";
  }
  Result<toml::table> document = parseTomlFile(path);
  std::remove(path.c_str());
  ASSERT_FALSE(document);
  EXPECT_EQ(document.error().code(), Errc::kParse);
  EXPECT_EQ(document.error().message(),
            path + ":3:5: Error while parsing key-value pair: cannot redefine existing integer "
                   "'x'");
}

TEST(TomlSchemaParse, RejectsAnOversizedFile) {
  const std::string path = testing::TempDir() + "toml_schema_test_big.toml";
  {
    std::ofstream out(path);
    out << "# " << std::string(kMaxTomlFileBytes, 'x') << "\n";
  }
  Result<toml::table> document = parseTomlFile(path);
  std::remove(path.c_str());
  ASSERT_FALSE(document);
  EXPECT_EQ(document.error().code(), Errc::kOutOfRange);
  EXPECT_EQ(document.error().message(),
            path + ": larger than 1048576 bytes, not a TOML file for edgert");
}

TEST(TomlSchemaFound, ScalarsShowTheirValue) {
  EXPECT_EQ(foundOf("\"fast\""), "\"fast\"");
  EXPECT_EQ(foundOf(R"("a \"q\" \\ b\tc\u0001")"), R"("a \"q\" \\ b\tc\u0001")");
  EXPECT_EQ(foundOf("7"), "7");
  EXPECT_EQ(foundOf("-12"), "-12");
  EXPECT_EQ(foundOf("0x80"), "0x80");
  EXPECT_EQ(foundOf("0x8"), "0x08");
  EXPECT_EQ(foundOf("0o17"), "0o17");
  EXPECT_EQ(foundOf("0b101"), "0b101");
  EXPECT_EQ(foundOf("2.5"), "2.5");
  EXPECT_EQ(foundOf("4.0"), "4.0");
  EXPECT_EQ(foundOf("-0.0"), "-0.0");
  EXPECT_EQ(foundOf("1e300"), "1e+300");
  EXPECT_EQ(foundOf("inf"), "inf");
  EXPECT_EQ(foundOf("nan"), "nan");
  EXPECT_EQ(foundOf("true"), "true");
  EXPECT_EQ(foundOf("false"), "false");
}

TEST(TomlSchemaFound, LongStringsAreCut) {
  const std::string longText(100, 'a');
  EXPECT_EQ(foundOf("\"" + longText + "\""), "\"" + std::string(60, 'a') + "\"...");
  // Not in the middle of a UTF-8 sequence: 59 ASCII characters, then 'é' (2 bytes).
  EXPECT_EQ(foundOf("\"" + std::string(59, 'a') + "\xC3\xA9" + "zzz\""),
            "\"" + std::string(59, 'a') + "\"...");
}

TEST(TomlSchemaFound, DatesShowTypeAndValue) {
  EXPECT_EQ(foundOf("2024-05-01"), "a date (2024-05-01)");
  EXPECT_EQ(foundOf("07:32:00"), "a time (07:32:00)");
  EXPECT_EQ(foundOf("2024-05-01T07:32:00Z"), "a date-time (2024-05-01T07:32:00Z)");
}

TEST(TomlSchemaFound, ContainersShowTheirType) {
  EXPECT_EQ(foundOf("[1, 2]"), "an array");
  EXPECT_EQ(foundOf("{ a = 1 }"), "a table");
}

TEST(TomlSchemaFound, TypeNames) {
  EXPECT_EQ(tomlTypeName(toml::node_type::string), "a string");
  EXPECT_EQ(tomlTypeName(toml::node_type::integer), "an integer");
  EXPECT_EQ(tomlTypeName(toml::node_type::floating_point), "a float");
  EXPECT_EQ(tomlTypeName(toml::node_type::boolean), "a boolean");
  EXPECT_EQ(tomlTypeName(toml::node_type::table), "a table");
  EXPECT_EQ(tomlTypeName(toml::node_type::array), "an array");
  EXPECT_EQ(tomlTypeName(toml::node_type::date), "a date");
  EXPECT_EQ(tomlTypeName(toml::node_type::time), "a time");
  EXPECT_EQ(tomlTypeName(toml::node_type::date_time), "a date-time");
}

TEST(TomlSchemaKeys, BareOrQuoted) {
  EXPECT_EQ(formatKey("i2c_address"), "i2c_address");
  EXPECT_EQ(formatKey("cv0-thermal"), "cv0-thermal");
  EXPECT_EQ(formatKey("my key"), "\"my key\"");
  EXPECT_EQ(formatKey("a.b"), "\"a.b\"");
  EXPECT_EQ(formatKey(""), "\"\"");
}

TEST(TomlSchemaReader, ReadsValidValues) {
  std::optional<std::string> name;
  std::optional<std::int64_t> count;
  std::optional<double> ratio;
  std::optional<double> wholeRatio;
  std::optional<bool> flag;
  std::optional<std::vector<std::string>> list;
  std::optional<std::int64_t> absent;
  const Result<void> result = check(
      "name = \"cam\"\ncount = 3\nratio = 0.5\nwhole = 1\nflag = true\nlist = [\"a\", \"b\"]\n",
      [&](TableReader& root) {
        name = root.requiredString("name");
        count = root.requiredInt("count", {1, 10});
        ratio = root.requiredFloat("ratio", {0.0, 1.0});
        wholeRatio = root.requiredFloat("whole", {0.0, 1.0});
        flag = root.requiredBool("flag");
        list = root.requiredStringArray("list");
        absent = root.optionalInt("absent", {0, 1});
      });
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(name, "cam");
  EXPECT_EQ(count, 3);
  EXPECT_EQ(ratio, 0.5);
  EXPECT_EQ(wholeRatio, 1.0);  // an integer where a float is expected
  EXPECT_EQ(flag, true);
  EXPECT_EQ(list, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(absent, std::nullopt);
}

TEST(TomlSchemaReader, WrongTypesNameExpectedAndFound) {
  EXPECT_EQ(problems("a = 7\nb = \"fast\"\nc = 1.5\nd = \"yes\"\ne = [1]\nf = 2024-01-02\n",
                     [](TableReader& root) {
                       (void)root.requiredString("a");
                       (void)root.requiredInt("b", {0, 9});
                       (void)root.requiredInt("c", {0, 9});
                       (void)root.requiredBool("d");
                       (void)root.requiredString("e");
                       (void)root.requiredFloat("f", {0.0, 1.0});
                     }),
            "test.toml:1:5: a: expected a string, found 7\n"
            "test.toml:2:5: b: expected an integer in 0..9, found \"fast\"\n"
            "test.toml:3:5: c: expected an integer in 0..9, found 1.5\n"
            "test.toml:4:5: d: expected a boolean, found \"yes\"\n"
            "test.toml:5:5: e: expected a string, found an array\n"
            "test.toml:6:5: f: expected a float in 0.0..1.0, found a date (2024-01-02)");
}

TEST(TomlSchemaReader, RangesInDecimalAndHex) {
  EXPECT_EQ(problems("low = -1\nhigh = 0x78\ndecimal = 200\nratio = 1.5\nnotanumber = nan\n",
                     [](TableReader& root) {
                       (void)root.requiredInt("low", {0, 255});
                       (void)root.requiredInt("high", {0x08, 0x77, true});
                       (void)root.requiredInt("decimal", {0x08, 0x77, true});
                       (void)root.requiredFloat("ratio", {0.0, 1.0});
                       (void)root.requiredFloat("notanumber", {0.0, 1.0});
                     }),
            "test.toml:1:7: low: expected an integer in 0..255, found -1\n"
            "test.toml:2:8: high: expected an integer in 0x08..0x77, found 0x78\n"
            "test.toml:3:11: decimal: expected an integer in 0x08..0x77, found 200\n"
            "test.toml:4:9: ratio: expected a float in 0.0..1.0, found 1.5\n"
            "test.toml:5:14: notanumber: expected a float in 0.0..1.0, found nan");
}

TEST(TomlSchemaReader, RangeBoundsAreInclusive) {
  std::optional<std::int64_t> low;
  std::optional<std::int64_t> high;
  const Result<void> result = check("low = 1\nhigh = 256\n", [&](TableReader& root) {
    low = root.requiredInt("low", {1, 256});
    high = root.requiredInt("high", {1, 256});
  });
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(low, 1);
  EXPECT_EQ(high, 256);
}

enum class Speed : std::uint8_t { kSlow, kFast };
constexpr std::array kSpeedNames{EnumName<Speed>{"slow", Speed::kSlow},
                                 EnumName<Speed>{"fast", Speed::kFast}};

TEST(TomlSchemaReader, Enums) {
  std::optional<Speed> speed;
  std::optional<Speed> absent;
  ASSERT_TRUE(check("speed = \"fast\"\n", [&](TableReader& root) {
    speed = root.requiredEnum("speed", kSpeedNames);
    absent = root.optionalEnum("other", kSpeedNames);
  }));
  EXPECT_EQ(speed, Speed::kFast);
  EXPECT_EQ(absent, std::nullopt);
  EXPECT_EQ(enumNameOf(kSpeedNames, Speed::kSlow), "slow");

  EXPECT_EQ(problems("speed = \"Fast\"\nother = 1\n",
                     [](TableReader& root) {
                       (void)root.requiredEnum("speed", kSpeedNames);
                       (void)root.optionalEnum("other", kSpeedNames);
                     }),
            "test.toml:1:9: speed: expected one of \"slow\", \"fast\", found \"Fast\"\n"
            "test.toml:2:9: other: expected one of \"slow\", \"fast\", found 1");
}

TEST(TomlSchemaReader, StringRules) {
  constexpr StringRule kLower{"a lower-case word", [](std::string_view text) {
                                return !text.empty() &&
                                       text.find_first_not_of("abcdefghijklmnopqrstuvwxyz") ==
                                           std::string_view::npos;
                              }};
  EXPECT_EQ(problems("a = \"\"\nb = \"Word\"\n",
                     [&](TableReader& root) {
                       (void)root.requiredString("a", kNonEmptyString);
                       (void)root.optionalString("b", kLower);
                     }),
            "test.toml:1:5: a: expected a non-empty string, found \"\"\n"
            "test.toml:2:5: b: expected a lower-case word, found \"Word\"");
}

TEST(TomlSchemaReader, StringArrayElementsAreNamedByIndex) {
  EXPECT_EQ(problems("zones = [\"cpu\", 7, \"gpu\", \"\"]\nnames = \"cpu\"\n",
                     [](TableReader& root) {
                       (void)root.requiredStringArray("zones", kNonEmptyString);
                       (void)root.requiredStringArray("names");
                     }),
            "test.toml:1:17: zones[1]: expected a non-empty string, found 7\n"
            "test.toml:1:27: zones[3]: expected a non-empty string, found \"\"\n"
            "test.toml:2:9: names: expected an array of strings, found \"cpu\"");
}

TEST(TomlSchemaReader, StringArrayDuplicates) {
  std::optional<std::vector<std::string>> allowed;
  ASSERT_TRUE(check("a = [\"x\", \"x\"]\n", [&](TableReader& root) {
    allowed = root.requiredStringArray("a", kAnyString, Duplicates::kAllowed);
  }));
  EXPECT_EQ(allowed, (std::vector<std::string>{"x", "x"}));

  EXPECT_EQ(problems("a = [\"x\", \"y\",\n  \"x\"]\n",
                     [](TableReader& root) {
                       (void)root.requiredStringArray("a", kAnyString, Duplicates::kRejected);
                     }),
            "test.toml:2:3: a[2]: duplicate \"x\", first listed as a[0]");
}

TEST(TomlSchemaReader, MissingKeysPointAtTheEnclosingTable) {
  EXPECT_EQ(problems("top = 1\n\n[camera]\nwidth = 640\n",
                     [](TableReader& root) {
                       (void)root.requiredInt("top", {0, 9});
                       (void)root.requiredString("name");
                       root.requiredTable("camera", [](TableReader& camera) {
                         (void)camera.requiredInt("width", {16, 8192});
                         (void)camera.requiredInt("height", {16, 8192});
                         (void)camera.requiredStringArray("modes");
                       });
                       root.requiredTable("cpu", [](TableReader&) {});
                       root.requiredTableArray("sensors", [](TableReader&, std::size_t) {});
                     }),
            "test.toml:1:1: name: missing required key, expected a string\n"
            "test.toml:1:1: cpu: missing required table\n"
            "test.toml:1:1: sensors: missing required array of tables\n"
            "test.toml:3:1: camera.height: missing required key, expected an integer in "
            "16..8192\n"
            "test.toml:3:1: camera.modes: missing required key, expected an array of strings");
}

TEST(TomlSchemaReader, OptionalTablesMayBeAbsent) {
  bool ran = false;
  ASSERT_TRUE(check("a = 1\n", [&](TableReader& root) {
    (void)root.optionalInt("a", {0, 9});
    EXPECT_FALSE(root.optionalTable("power", [&](TableReader&) { ran = true; }));
    EXPECT_FALSE(root.optionalTableArray("sensors", [&](TableReader&, std::size_t) { ran = true; }));
  }));
  EXPECT_FALSE(ran);
}

TEST(TomlSchemaReader, UnknownKeysListTheAllowedOnes) {
  EXPECT_EQ(problems("[cpu]\ncores = 2\ncoers = 3\nthreads = 1\n\n[extra]\nx = 1\n",
                     [](TableReader& root) {
                       root.requiredTable("cpu", [](TableReader& cpu) {
                         (void)cpu.requiredInt("cores", {1, 256});
                         (void)cpu.optionalInt("inference_threads", {1, 256});
                       });
                     }),
            "test.toml:3:1: cpu.coers: unknown key (did you mean cores?), expected one of: "
            "cores, inference_threads\n"
            "test.toml:4:1: cpu.threads: unknown key, expected one of: cores, inference_threads\n"
            "test.toml:6:2: extra: unknown key, expected one of: cpu");
}

TEST(TomlSchemaReader, UnknownKeysInATableThatTakesNone) {
  EXPECT_EQ(problems("[empty]\nx = 1\n",
                     [](TableReader& root) { root.requiredTable("empty", [](TableReader&) {}); }),
            "test.toml:2:1: empty.x: unknown key, expected no keys here");
}

TEST(TomlSchemaReader, OddKeysAreQuotedInPaths) {
  EXPECT_EQ(problems("[\"my table\"]\n\"odd key\" = 1\n",
                     [](TableReader& root) {
                       root.requiredTable("my table", [](TableReader&) {});
                     }),
            "test.toml:2:1: \"my table\".\"odd key\": unknown key, expected no keys here");
}

TEST(TomlSchemaReader, TableArraysNameEntriesByIndex) {
  std::vector<std::int64_t> addresses;
  const std::string message = problems(
      "[[sensors]]\naddress = 0x40\n\n[[sensors]]\naddress = 0x90\nbus = 1\n",
      [&](TableReader& root) {
        root.requiredTableArray("sensors", [&](TableReader& sensor, std::size_t index) {
          EXPECT_EQ(sensor.keyPath(), fmt::format("sensors[{}]", index));
          addresses.push_back(sensor.requiredInt("address", {0x08, 0x77, true}).value_or(-1));
        });
      });
  EXPECT_EQ(message,
            "test.toml:5:11: sensors[1].address: expected an integer in 0x08..0x77, found 0x90\n"
            "test.toml:6:1: sensors[1].bus: unknown key, expected one of: address");
  EXPECT_EQ(addresses, (std::vector<std::int64_t>{0x40, -1}));
}

TEST(TomlSchemaReader, TableArraysOfTheWrongShape) {
  EXPECT_EQ(problems("inline = [{ a = 1 }, 5]\nsingle = { a = 1 }\n[plain]\na = 1\n",
                     [](TableReader& root) {
                       const auto read = [](TableReader& entry, std::size_t) {
                         (void)entry.requiredInt("a", {0, 9});
                       };
                       EXPECT_TRUE(root.requiredTableArray("inline", read));
                       EXPECT_FALSE(root.requiredTableArray("single", read));
                       EXPECT_FALSE(root.requiredTableArray("plain", read));
                       EXPECT_FALSE(root.requiredTable("inline", [](TableReader&) {}));
                     }),
            "test.toml:1:10: inline: expected a table, found an array\n"
            "test.toml:1:22: inline[1]: expected a table, found 5\n"
            "test.toml:2:10: single: expected an array of tables, found a table\n"
            "test.toml:3:1: plain: expected an array of tables, found a table");
}

TEST(TomlSchemaReader, TablesGivenAsScalars) {
  EXPECT_EQ(problems("camera = \"usb\"\n",
                     [](TableReader& root) {
                       EXPECT_FALSE(root.requiredTable("camera", [](TableReader&) {}));
                     }),
            "test.toml:1:10: camera: expected a table, found \"usb\"");
}

TEST(TomlSchemaReader, InlineAndDottedTables) {
  EXPECT_EQ(problems("cpu.cores = 0\ncamera = { width = 8 }\n",
                     [](TableReader& root) {
                       root.requiredTable("cpu", [](TableReader& cpu) {
                         (void)cpu.requiredInt("cores", {1, 256});
                         (void)cpu.requiredInt("threads", {1, 256});
                       });
                       root.requiredTable("camera", [](TableReader& camera) {
                         (void)camera.requiredInt("width", {16, 8192});
                       });
                     }),
            "test.toml:1:1: cpu.threads: missing required key, expected an integer in 1..256\n"
            "test.toml:1:13: cpu.cores: expected an integer in 1..256, found 0\n"
            "test.toml:2:20: camera.width: expected an integer in 16..8192, found 8");
}

TEST(TomlSchemaReader, AllProblemsComeBackInFileOrder) {
  // Read in an order different from the file's; reported in the file's.
  EXPECT_EQ(problems("[a]\nx = \"1\"\n[b]\ny = \"2\"\nz = 3\n",
                     [](TableReader& root) {
                       root.requiredTable("b", [](TableReader& b) {
                         (void)b.requiredInt("y", {0, 9});
                       });
                       root.requiredTable("a", [](TableReader& a) {
                         (void)a.requiredInt("x", {0, 9});
                       });
                     }),
            "test.toml:2:5: a.x: expected an integer in 0..9, found \"1\"\n"
            "test.toml:4:5: b.y: expected an integer in 0..9, found \"2\"\n"
            "test.toml:5:1: b.z: unknown key, expected one of: y");
}

TEST(TomlSchemaReader, CallerReportedProblems) {
  EXPECT_EQ(problems("[watchdog]\nmode = \"device\"\ntimeout_s = 5\n",
                     [](TableReader& root) {
                       root.requiredTable("watchdog", [](TableReader& watchdog) {
                         (void)watchdog.requiredString("mode");
                         (void)watchdog.optionalInt("timeout_s", {1, 600});
                         EXPECT_FALSE(watchdog.has("device"));
                         watchdog.failMissing("device", "missing required key when mode = "
                                                        "\"device\", expected a path");
                         watchdog.fail("timeout_s", "expected at least 10, found 5");
                         watchdog.fail("absent", "reported at the table");
                         watchdog.failHere("the table as a whole");
                       });
                     }),
            "test.toml:1:1: watchdog.device: missing required key when mode = \"device\", "
            "expected a path\n"
            "test.toml:1:1: watchdog.absent: reported at the table\n"
            "test.toml:1:1: watchdog: the table as a whole\n"
            "test.toml:3:13: watchdog.timeout_s: expected at least 10, found 5");
}

TEST(TomlSchemaReader, RawNodeMakesAKeyAllowed) {
  bool sawArray = false;
  ASSERT_TRUE(check("custom = [1, \"a\"]\n", [&](TableReader& root) {
    const toml::node* node = root.rawNode("custom");
    sawArray = node != nullptr && node->is_array();
    EXPECT_EQ(root.rawNode("absent"), nullptr);
  }));
  EXPECT_TRUE(sawArray);
}

TEST(TomlSchemaReader, TablesBuiltInCodeHaveNoPosition) {
  toml::table document{{"a", "text"}};
  const Result<void> result = readSchema(document, "built", [](TableReader& root) {
    (void)root.requiredInt("a", {0, 1});
  });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(), "built: a: expected an integer in 0..1, found \"text\"");
}

}  // namespace
}  // namespace edgert
