"""`khuyencong init`: a working folder - an editable copy of a configuration (config/), empty inputs/ and
outputs/, and README.txt: what each file is and the commands to run there, in Vietnamese (NFC)."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.configuration import Configuration
from pipeline.periods import quarter
from pipeline.text import nfc

README = """\
THƯ MỤC LÀM VIỆC — BÁO CÁO KHUYẾN CÔNG TỈNH {province}

Các tệp và thư mục
  config/                      Cấu hình của tỉnh; sửa được bằng trình soạn thảo văn bản (YAML, mã UTF-8).
    programmes/*.yaml          Chương trình khuyến công: giai đoạn, chương trình con, chỉ tiêu, mục tiêu,
                               kinh phí theo nguồn (mỗi giai đoạn một tệp).
    units.yaml                 Các đơn vị báo cáo (huyện, thị xã, thành phố): tên gọi khác, thời gian hiệu lực.
    recipients.yaml            Cơ quan ban hành, người ký, nơi nhận báo cáo tổng hợp và nội dung từng bản.
    reporting.yaml             Hạn nộp báo cáo, lịch lập báo cáo tự động, múi giờ.
    notifications.yaml         Thông báo qua thư điện tử hoặc webhook (mặc định tắt).
  inputs/                      Nơi đặt tệp báo cáo Excel (.xlsx, .xls, .ods) các đơn vị gửi về.
  outputs/                     Kết quả: reports/<kỳ>/ (báo cáo PDF, Excel, HTML), receipts/ (phiếu tiếp nhận
                               từng tệp), export/ (số liệu kèm nguồn và các vấn đề của tệp, dạng CSV
                               và Excel).
  khuyencong.sqlite, archive/  Sổ lưu mọi báo cáo đã nhận và bản lưu các tệp (tạo ở lần chạy đầu; không xóa).

Các lệnh (chạy trong thư mục này)
  khuyencong template --unit "{unit}" --period {month}
                               Mẫu báo cáo trống cho một đơn vị, một kỳ.
  khuyencong ingest            Đọc các tệp mới trong inputs/, ghi phiếu tiếp nhận.
  khuyencong run --period {quarter}
                               Lập báo cáo tổng hợp một kỳ (tháng {month}, quý {quarter}, năm {year}).
  khuyencong history --unit "{unit}" --period {quarter}
                               Các lần gửi của một đơn vị cho một kỳ, bản nào được tính và vì sao.
  khuyencong export --period {quarter}
                               Số liệu của kỳ, kèm tệp và ô nguồn, dạng CSV.
  khuyencong serve             Chạy thường trực: tiếp nhận tệp và lập báo cáo theo lịch.
  khuyencong demo              Tạo dữ liệu mẫu trong inputs/ để chạy thử (không dùng cùng số liệu thật).

Cấu hình được tìm theo thứ tự: tùy chọn --config, biến môi trường KHUYENCONG_CONFIG, thư mục config/
của thư mục đang làm việc, cấu hình mặc định đi kèm chương trình. Tệp cấu hình có lỗi thì lệnh dừng
và báo tên tệp, dòng và lỗi.
"""


def readme_text(config: Configuration) -> str:
    """README.txt, with examples (a unit, periods) taken from the configuration itself."""
    first = config.programmes[0].first_year
    q = quarter(first + 1 if first + 1 <= config.programmes[0].last_year else first, 3)
    unit = next((u for u in config.units.units if u.level != "province" and u.exists_during(q)), config.units.units[0])
    return nfc(
        README.format(
            province=config.units.province.upper(),
            unit=unit.name,
            month=f"{q.first[0]}-07",
            quarter=q.code,
            year=q.first[0],
        )
    )


def init_folder(target: Path, config: Configuration) -> list[Path]:
    """Write the working folder under `target` from a loaded configuration; never overwrites (an existing
    config/ raises FileExistsError; an existing README.txt is kept). Returns what was written."""
    copy = target / "config"
    if copy.exists():
        raise FileExistsError(17, "exists", str(copy))
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(config.folder, copy, ignore=shutil.ignore_patterns("__pycache__", "*.py", "*.pyc"))
    written = [copy]
    for name in ("inputs", "outputs"):
        if not (target / name).exists():
            (target / name).mkdir()
            written.append(target / name)
    readme = target / "README.txt"
    if not readme.exists():
        readme.write_text(readme_text(config), encoding="utf-8")
        written.append(readme)
    return written
