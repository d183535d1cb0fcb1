#include "video_picture.hpp"

#include <cstdlib>
#include <cstring>

namespace ksim::daemon {

std::optional<proto::VideoParams> video_picture_of(const KSDATAFORMAT* format) {
    static constexpr GUID kVideo = STATIC_KSDATAFORMAT_TYPE_VIDEO;
    if (format == nullptr || format->FormatSize < sizeof(KS_DATAFORMAT_VIDEOINFOHEADER) ||
        std::memcmp(&format->MajorFormat, &kVideo, sizeof(GUID)) != 0)
        return std::nullopt;
    const KS_BITMAPINFOHEADER& b =
        reinterpret_cast<const KS_DATAFORMAT_VIDEOINFOHEADER*>(format)->VideoInfoHeader.bmiHeader;
    // A negative height is a bottom-up RGB picture (BITMAPINFOHEADER): the same size.
    if (b.biWidth <= 0 || b.biHeight == 0) return std::nullopt;
    proto::VideoParams v;
    switch (b.biCompression) {
        case KSIM_FOURCC_NV12:
            v.format = proto::VideoFormat::Nv12;
            break;
        case KSIM_FOURCC_YUY2:
            v.format = proto::VideoFormat::Yuy2;
            break;
        case KSIM_BI_RGB:
            if (b.biBitCount != 24) return std::nullopt;
            v.format = proto::VideoFormat::Rgb24;
            break;
        default:
            return std::nullopt;
    }
    v.width = static_cast<std::uint32_t>(b.biWidth);
    v.height = static_cast<std::uint32_t>(std::abs(b.biHeight));
    return v;
}

}  // namespace ksim::daemon
