// PNG through libpng's simplified API (png_image): one call writes the whole image.
#include <png.h>

#include <cstring>

#include "media_files.hpp"

namespace ksim::ctl {

Result<void> write_png(const std::filesystem::path& path, const client::RgbImage& image) {
    if (image.width == 0 || image.height == 0 ||
        image.pixels.size() != std::size_t{image.width} * image.height * 3)
        return fail(Errc::InvalidArgument, "cannot write " + path.string() + ": the image is " +
                                               std::to_string(image.width) + "x" +
                                               std::to_string(image.height) + " with " +
                                               std::to_string(image.pixels.size()) + " bytes of RGB");
    png_image png;
    std::memset(&png, 0, sizeof png);
    png.version = PNG_IMAGE_VERSION;
    png.width = image.width;
    png.height = image.height;
    png.format = PNG_FORMAT_RGB;
    // Speed over size: capture encodes while the source runs, and a slow encoder drops frames.
    png.flags = PNG_IMAGE_FLAG_FAST;
    const png_int_32 stride = static_cast<png_int_32>(image.width * 3);
    if (png_image_write_to_file(&png, path.c_str(), 0, image.pixels.data(), stride, nullptr) == 0) {
        const std::string why = png.message;
        png_image_free(&png);
        return fail(Errc::Io, "cannot write " + path.string() + ": " + why);
    }
    return {};
}

}  // namespace ksim::ctl
