#!/usr/bin/env python3
"""Generates corpus.tsv: labelled positives and hard negatives for the pii
scanner. Deterministic (seeded). Run from pii/testdata: python3 gen_corpus.py

Every value is synthetic. Public vectors are listed in PUBLIC below with
their sources."""
import random

R = random.Random(20261123)
W = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]

def check(d12, k):
    s = sum(int(c) * w for c, w in zip(d12, W))
    return str((k - s % 11) % 10)

def rrn(foreign=False, hyph=True, valid=True, year=None):
    import datetime
    y = year or R.randint(1940, 2019)
    m = R.randint(1, 12)
    d = R.randint(1, 28)
    sex = R.randint(0, 1)
    if foreign:
        g = (5 if y < 2000 else 7) + sex
    else:
        g = (1 if y < 2000 else 3) + sex
    body = "%02d%02d%02d%d%02d%03d" % (y % 100, m, d, g, R.randint(0, 95), R.randint(0, 999))
    c = check(body, 13 if foreign else 11)
    if not valid:
        c = str((int(c) + R.randint(1, 9)) % 10)
    v = body + c
    return (v[:6] + "-" + v[6:]) if hyph else v

def luhn_complete(prefix, n):
    d = prefix + "".join(str(R.randint(0, 9)) for _ in range(n - len(prefix) - 1))
    for c in "0123456789":
        x = d + c
        s = 0
        for i, ch in enumerate(reversed(x)):
            v = int(ch)
            if i % 2 == 1:
                v *= 2
                if v > 9:
                    v -= 9
            s += v
        if s % 10 == 0:
            return x

def group4(x):
    return "-".join(x[i:i + 4] for i in range(0, len(x), 4))

def phone():
    kind = R.randint(0, 5)
    if kind <= 2:
        return "010-%04d-%04d" % (R.randint(2000, 9999), R.randint(0, 9999))
    if kind == 3:
        return "02-%03d-%04d" % (R.randint(200, 999), R.randint(0, 9999))
    if kind == 4:
        a = R.choice(["031", "032", "033", "041", "042", "043", "044", "051", "052", "053", "054", "055", "061", "062", "063", "064"])
        return "%s-%03d-%04d" % (a, R.randint(200, 999), R.randint(0, 9999))
    return "070-%04d-%04d" % (R.randint(2000, 9999), R.randint(0, 9999))

NAMES = ["홍길동", "김민준", "이서연", "박지훈", "최수아", "정예준", "강하은", "조도윤", "윤지우", "장서준"]
LOCALS = ["hong", "minjun.kim", "seoyeon_lee", "park.jh", "choi+news", "jung2024", "kang-he", "cho.doyoon", "yoon_j", "jang.sj"]
DOMAINS = ["example.com", "example.co.kr", "mail.example.org", "test.kr", "corp.example.net"]

rows = []
def pos(t, text, value):
    assert value in text, (text, value)
    rows.append(("pos", t, text, value))
def neg(t, text):
    rows.append(("neg", t, text, ""))

# --- rrn positives
for i in range(120):
    v = rrn(hyph=True)
    n = R.choice(NAMES)
    tpl = R.choice(["주민등록번호: {v}", "고객님의 주민번호는 {v}입니다.", "{v}", "jumin={v}",
                    "RRN {v} 확인", "본인확인 {v} 완료", "{n},{v},서울", "주민번호({v})", "신청인 주민등록번호 {v} 제출"])
    pos("rrn", tpl.format(v=v, n=n), v)
for i in range(40):
    v = rrn(hyph=False)
    pos("rrn", R.choice(["주민번호 {v}", "{v}", "rrn: {v}", "고객 주민등록번호 {v} 조회"]).format(v=v), v)
for i in range(20):
    # Post-2020 numbers: random last digits, the check digit does not hold.
    v = rrn(hyph=True, valid=False)
    pos("rrn", "주민등록번호 " + v, v)
for i in range(10):
    v = rrn(hyph=True)
    fw = v.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    pos("rrn", "주민번호 " + fw, fw)
for i in range(10):
    v = rrn(hyph=True)
    s = v[:6] + " - " + v[7:]
    pos("rrn", "주민등록번호 " + s, s)
for v in ["880101-1******", "950505-2******", "030303-3******", "******-1******"]:
    pos("rrn", "조회 결과 " + v + " 고객", v)
# python-stdnum kr.rrn doctest: 971013-9019902 is valid (G=9, born 1897).
pos("rrn", "stdnum vector 971013-9019902", "971013-9019902")
# Its 'incorrect checksum' vector still has the shape and a real date;
# since 2020-10 a failed check digit lowers confidence (medium) only.
pos("rrn", "stdnum vector 971013-9019903", "971013-9019903")
# Presidio KrRrnRecognizer test input.
pos("rrn", "960121-1234567", "960121-1234567")

# --- frn positives
for i in range(80):
    v = rrn(foreign=True, hyph=R.random() < 0.8)
    pos("frn", R.choice(["외국인등록번호: {v}", "Alien registration {v}", "{v}", "외국인 근로자 {v} 등록"]).format(v=v), v)

# --- phone positives
for i in range(150):
    v = phone()
    n = R.choice(NAMES)
    tpl = R.choice(["연락처: {v}", "{n} {v}", "휴대폰 {v}로 연락 바랍니다", "tel={v}", "{v}", "전화번호({v})", "{n},{v}"])
    pos("phone", tpl.format(v=v, n=n), v)
for i in range(30):
    v = "010%04d%04d" % (R.randint(2000, 9999), R.randint(0, 9999))
    pos("phone", "phone=" + v, v)
for i in range(20):
    a, b = R.randint(2000, 9999), R.randint(0, 9999)
    v = R.choice(["+82 10-%04d-%04d", "+82-10-%04d-%04d", "010.%04d.%04d", "010 %04d %04d"]) % (a, b)
    pos("phone", "문의 " + v, v)
for i in range(10):
    v = phone()
    fw = v.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    pos("phone", "연락처 " + fw, fw)
pos("phone", "010-****-5678 고객", "010-****-5678")
# libphonenumber KR metadata example numbers (mobile 1020000000, fixedLine
# 22123456, voip 7012345678) written nationally.
pos("phone", "example 010-2000-0000", "010-2000-0000")
pos("phone", "example 02-212-3456", "02-212-3456")
pos("phone", "example 070-1234-5678", "070-1234-5678")

# --- email positives
for i in range(150):
    v = R.choice(LOCALS) + "@" + R.choice(DOMAINS)
    pos("email", R.choice(["이메일: {v}", "<{v}>", "{v}", "문의는 {v}로", "email={v};", "({v})"]).format(v=v), v)
pos("email", "ho****@example.com 고객", "ho****@example.com")

# --- card positives
for i in range(150):
    br = R.choice([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("9410", 16), ("9430", 16), ("3528", 16), ("6011", 16), ("62", 16)])
    x = luhn_complete(br[0], br[1])
    v = group4(x) if R.random() < 0.6 else x
    pos("card", R.choice(["카드번호 {v}", "card: {v}", "{v}", "결제카드 {v} 승인"]).format(v=v), v)
for i in range(20):
    x = luhn_complete(R.choice(["34", "37"]), 15)
    v = x[:4] + "-" + x[4:10] + "-" + x[10:]
    pos("card", "Amex " + v, v)
# Well-known test card numbers (Visa, Mastercard, Amex).
for v in ["4111-1111-1111-1111", "5555 5555 5555 4444", "378282246310005", "4012888888881881"]:
    pos("card", "test card " + v, v)
for v in ["1234-56**-****-3456", "4111-11**-****-1111"]:
    pos("card_masked", "카드 " + v, v)

# --- brn positives: FTC-verified numbers from python-stdnum's
# stdnum/kr/brn.txt (analysis notes) and its doctest 116-82-00276.
for x in ["1018213065", "1028103525", "1048125258", "1168200276", "1208157465", "1348672683",
          "2018199798", "2148104230", "3018191475", "4028215272", "5012678904", "6028166559",
          "7668800563", "8098101574", "1101416596", "2040691556"]:
    v = x[:3] + "-" + x[3:5] + "-" + x[5:]
    pos("brn", R.choice(["사업자등록번호 {v}", "사업자번호: {v}", "{v}"]).format(v=v), v)
pos("brn", "사업자등록번호 1348672683", "1348672683")

# --- other types
pos("passport", "여권번호 M12345678", "M12345678")
pos("passport", "passport: M123A4567", "M123A4567")
pos("driver_license", "운전면허번호 11-05-123456-01", "11-05-123456-01")
pos("driver_license", "면허번호: 서울 05-123456-01", "서울 05-123456-01")
pos("driver_license", "28-19-654321-12", "28-19-654321-12")
pos("account", "입금계좌 110-123-456789 (신한)", "110-123-456789")
pos("account", "국민은행 123456-78-901234 예금주 홍길동", "123456-78-901234")
pos("account", "계좌번호: 1002-123-456789", "1002-123-456789")
pos("account", "환불 계좌 302-1234-5678-91", "302-1234-5678-91")
pos("address", "주소: 서울특별시 강남구 테헤란로 123", "서울특별시 강남구 테헤란로 123")
pos("address", "경기도 성남시 분당구 판교역로 235 에이치스퀘어", "경기도 성남시 분당구 판교역로 235")
pos("address", "배송지 부산 해운대구 해운대로 570, 101동 1001호", "부산 해운대구 해운대로 570, 101동 1001호")
pos("address", "서울시 종로구 세종대로 209", "서울시 종로구 세종대로 209")
pos("address", "강남구 역삼동 123-45", "강남구 역삼동 123-45")
pos("name", "성명: 홍길동", "홍길동")
pos("name", "고객명 김민준 / 연락처 없음", "김민준")
pos("name", "이서연 고객님 안녕하세요", "이서연")
pos("name", "박지훈님이 로그인했습니다", "박지훈")
pos("name", "이름: 남궁민수", "남궁민수")
pos("ip", "접속IP 203.0.113.7", "203.0.113.7")
pos("ip", "client 8.8.8.8:53", "8.8.8.8")
pos("ip", "from 2001:db8::1 via", "2001:db8::1")
pos("ip_private", "src=192.168.0.10 dst", "192.168.0.10")
pos("ip_private", "10.1.2.3", "10.1.2.3")
pos("birth_date", "생년월일: 1988-01-01", "1988-01-01")
pos("birth_date", "DOB 19900215", "19900215")
pos("phone_business", "고객센터 1588-1234", "1588-1234")
# Area codes in parentheses, birth dates written in Korean and English
# name keys in free text (issue #3).
pos("phone", "대표번호 (02) 312-4567 문의", "(02) 312-4567")
pos("phone", "연락처(031)123-4567", "(031)123-4567")
pos("phone", "tel (051) 742-1234", "(051) 742-1234")
pos("birth_date", "생년월일: 1988년 1월 1일", "1988년 1월 1일")
pos("birth_date", "생일 1990년12월25일", "1990년12월25일")
pos("name", "name: 홍길동", "홍길동")
pos("name", "customer_name: 김민준 (VIP)", "김민준")
pos("name", '{"userName": "이서연", "grade": 3}', "이서연")
pos("phone_business", "수신자부담 080-123-4567", "080-123-4567")

# --- hard negatives
for i in range(40):
    neg("rrn", "2024-%02d-%02d %02d:%02d:%02d INFO request done" % (R.randint(1, 12), R.randint(1, 28), R.randint(0, 23), R.randint(0, 59), R.randint(0, 59)))
    neg("rrn", "주문번호 %d%02d%02d-%07d" % (R.randint(2015, 2025), R.randint(1, 12), R.randint(1, 28), R.randint(0, 9999999)))
    neg("rrn", "ts=%d level=info" % R.randint(1500000000000, 1790000000000))
    neg("rrn", "운송장번호 %013d" % R.randint(6000000000000, 6999999999999))
    neg("card", "합계 %s원" % format(R.randint(1000000, 999999999), ","))
    neg("card", "주문번호 %d" % R.randint(10**15, 10**16 - 1))
    neg("phone", "버전 v%d.%d.%d 배포" % (R.randint(0, 20), R.randint(0, 30), R.randint(0, 99)))
    neg("email", "트윗 @user%d 님이 멘션" % R.randint(0, 999))
for i in range(30):
    h = "%032x" % R.getrandbits(128)
    neg("card", "md5 " + h)
    neg("rrn", "sha1 %040x" % R.getrandbits(160))
    u = "%08x-%04x-%04x-%04x-%012x" % (R.getrandbits(32), R.getrandbits(16), R.getrandbits(16), R.getrandbits(16), R.getrandbits(48))
    neg("phone", "request_id=" + u)
    # Korean EAN-13 barcodes (GS1 prefix 880).
    b = "880%09d" % R.randint(0, 999999999)
    s = sum(int(c) * (3 if k % 2 else 1) for k, c in enumerate(b))
    neg("rrn", "바코드 " + b + str((10 - s % 10) % 10))
for i in range(30):
    # Invalid dates in rrn shape, and future birth dates.
    neg("rrn", "번호 %02d%02d%02d-%d%06d" % (R.randint(0, 99), R.randint(13, 99), R.randint(1, 28), R.randint(1, 4), R.randint(0, 999999)))
    # Card-length numbers failing Luhn.
    x = luhn_complete("4", 16)
    bad = x[:-1] + str((int(x[-1]) + 1) % 10)
    neg("card", "카드 " + group4(bad))
    # Phone-like numbers with impossible prefixes or lengths.
    neg("phone", "코드 %03d-%04d-%04d" % (R.choice([123, 999, 100, 9]), R.randint(0, 9999), R.randint(0, 9999)))
    neg("phone", "내선 %04d" % R.randint(1000, 9999))
neg("rrn", "future 991231-4123456")
neg("email", "user@localhost")
neg("email", "a@b.c")
neg("email", "foo@@example.com")
neg("card", "EAN 8801234567893 상품")
neg("card", "ISBN 978-89-546-4161-6")
neg("phone", "우편번호 06236")
neg("phone", "금액 12,345,678원")
neg("phone", "10.0.19041.1 build")
neg("ip", "version 1.2.3")
neg("ip", "netmask 255.255.255.0")
neg("ip", "시간 10:23:45")
neg("ip", "mac 00:1a:2b:3c:4d:5e")
neg("name", "선생님께서 말씀하셨다")
neg("name", "김부장님 회의")
neg("name", "구독자님 감사합니다")
neg("address", "테헤란로 123 번지수 없음")
neg("passport", "모델 M12345678 재고")
neg("account", "거래번호 110-123-456789")
neg("brn", "110-81-00000 잘못된 번호")
neg("birth_date", "작성일 2024-01-15")
neg("birth_date", "작성일 2024년 1월 15일")
neg("birth_date", "생년월일 1988년 13월 1일")
neg("phone", "항목 (1) 123-4567 참고")
neg("phone", "내선 (02) 1234")
neg("name", "hostname: 서버01 재시작")
neg("name", "filename: 보고서.pdf")

with open("corpus.tsv", "w") as f:
    f.write("# jikimi pii labelled corpus. Generated by gen_corpus.py (seeded); all values synthetic.\n")
    f.write("# Public vectors: python-stdnum tests and stdnum/kr/brn.txt (kr.rrn 971013-9019902 valid,\n")
    f.write("#   971013-9019903 bad checksum; FTC-verified BRNs); Microsoft Presidio KrRrnRecognizer\n")
    f.write("#   (960121-1234567) and its Korean context words; libphonenumber KR metadata example numbers.\n")
    f.write("# kind<TAB>type<TAB>text<TAB>value (value: the expected finding's text; empty for negatives)\n")
    for r in rows:
        f.write("\t".join(r) + "\n")
print(len(rows), "rows")
