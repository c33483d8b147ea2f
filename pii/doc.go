// Package pii finds, counts and masks Korean personal information
// (개인정보) in bytes: resident and foreigner registration numbers,
// passports, driver's licences, phone numbers, e-mail addresses, payment
// cards, bank accounts, business registration numbers, addresses, names,
// IP addresses and birth dates. The types, their formats and the masking
// rules are the contract in shared/schema/pii-types.md. The package
// depends on nothing else in jikimi.
//
// # Detection
//
// A Scanner makes one pass over the input. It classifies bytes eight at a
// time, words of ASCII by arithmetic and others by table, looking for
// trigger bytes — ASCII digits, '@', ':', the
// lead byte of full-width digits (0xEF) and the last bytes of the Hangul
// syllables 명, 름, 님, 씨 and 함 — and looks closer only there, so Korean
// prose with few digits is skipped quickly and no regular expressions are
// involved. At a digit it reads a token: digit groups (ASCII, full-width or
// '*' for masked digits) joined by single separators — '-', '.', a space,
// or a hyphen with spaces around it. Plain tokens such as 010-1234-5678
// are read in one pass; the token, or a part of it split at spaces, is
// then classified by digit count and group layout and validated:
//
//	rrn, frn        YYMMDD-GNNNNNN: a real birth date for the century G
//	                gives, not in the future; pre-2020 check digit
//	card            13–19 digits in card layouts; Luhn and issuer prefix
//	phone           libphonenumber's KR prefixes and lengths, also with
//	                the area code in parentheses, (02) 123-4567; 15xx,
//	                16xx, 18xx, 080 and 060 are phone_business
//	brn             AAA-BB-CCCCD with the 1,3,7,1,3,7,1,3,5 checksum
//	driver_license  RR-YY-NNNNNN-CD with region 11–26 or 28, or a region
//	                name and NN-NNNNNN-NN
//	ip, ip_private  IPv4 octets and IPv6 groups; private ranges apart
//	account         10–14 digits, only with a label or column
//	passport        M12345678 or M123A4567 after a capital letter
//	birth_date      a real date right after 생년월일, 생일, DOB …, also
//	                written 1988년 1월 1일
//	address         a road or lot number after a 시도 or 시·군·구
//	name            a surname and given name after 성명, 이름 …, after a
//	                name key (name:, customer_name:, "userName":) or
//	                before 님, 씨, 고객님
//
// Numbers that only look alike are left alone: a token glued to letters
// (hashes, UUIDs, 10px), to ':' or '/' (times, dates), to a '-' after
// letters (ORD-2024…), comma-grouped amounts (1,234,567원), version
// strings, dates and times, and long digit runs. Ambiguous shapes —
// thirteen bare digits, ten bare digits, card-length numbers — are also
// dropped under a negative label such as 주문번호, 송장, 바코드 or ts.
//
// # Confidence
//
// Every Finding carries a Confidence:
//
//	High    the value validates: a check digit or Luhn holds, a real date
//	        sits under a birth label, or a label or column names the type
//	Medium  the shape matches with partial validation or context, such as
//	        a hyphenated rrn whose check digit fails (numbers issued since
//	        2020-10-05 end in random digits) or a name before 님
//	Low     the shape alone matched, such as M12345678 with no 여권 label
//	        or thirteen bare digits whose check digit fails
//
// Count, MaskText and the jikimi commands use Medium and High by default.
//
// Labels are searched in the 40 bytes before a candidate, on its line.
// ScanField takes a column or key name instead: a value under 주민등록번호,
// jumin, phone, 휴대폰, email, 계좌번호, 성명, 주소 … is read as that type,
// and a whole value under a name or address column is reported as one
// finding.
//
// Masked values are recognised: 880101-1****** is a masked rrn,
// ******-***4567 a masked frn, 010-****-5678 a masked phone,
// ho****@example.com a masked e-mail, 192.168.***.10 a masked address and
// 1234-56**-****-3456 is card_masked. Their findings have Masked set, and
// masking them again changes nothing: MaskText(MaskText(b)) is
// MaskText(b), which FuzzMask checks (and still finds exceptions to; see
// .ci/run).
//
// # Counting
//
// Count is the pipeline hook: it detects CSV, TSV, JSON lines or free text,
// scans with column names as context (see Table) and returns the number
// of distinct values per type and the number of rows or lines carrying an
// identifying value, an estimate of the data subjects a payload evidences.
// Values are compared in normal form, so 010-1234-5678 and 01012345678
// count once (see Fingerprint). CountString does the same for a string
// without copying it. A text with nothing to count costs no allocation,
// and its Counts.Types is nil.
//
// # Masking
//
// Mask follows the schema's masking table (표시제한): the birth date and
// everything after the gender digit of an rrn (******-1******), the
// middle group of a phone number (010-****-5678), the 7th–12th digits of
// a card (1234-56**-****-3456), the local part but its first two
// characters of an e-mail (ho**@example.com), the third IPv4 octet and
// the last IPv6 group, everything but the surname of a name (홍**),
// everything below the 시·군·구 of an address (서울특별시 강남구 ***), the
// digits of a birth date (****년 *월 *일), and all but the last four
// characters of an account, passport, driver's licence, frn or brn. Each
// hidden character becomes one '*' and separators stay, so masking is
// deterministic and idempotent. MaskText masks every Medium or High
// finding of a text; MaskString does the same for a string and returns it
// unchanged, without allocating, when there is nothing to mask.
// MaskStream masks a stream in constant memory.
//
// # Performance and concurrency
//
// A Scanner allocates nothing while scanning; reuse one per goroutine. It
// is not safe for concurrent use. It reads the clock once, when it first
// validates a date. Mask, MaskText, MaskString, Count and CountString may
// be called concurrently; they take Scanners from a pool, so that a short
// text costs well under a microsecond. BENCHMARKS.md has the figures.
package pii
