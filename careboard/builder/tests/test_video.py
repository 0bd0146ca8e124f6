"""careboard.builder.video: which links play, and how they embed. No network, no Django."""

from __future__ import annotations

import pytest

from careboard.builder.video import (
    ACCEPTED,
    Provider,
    VideoURLError,
    check_https_url,
    parse_video_url,
)

YT = "dQw4w9WgXcQ"
YT_EMBED = f"https://www.youtube-nocookie.com/embed/{YT}"
YT_THUMB = f"https://i.ytimg.com/vi/{YT}/hqdefault.jpg"


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        (f"https://www.youtube.com/watch?v={YT}", YT_EMBED),
        (f"https://youtube.com/watch?v={YT}", YT_EMBED),
        (f"https://m.youtube.com/watch?v={YT}", YT_EMBED),
        (f"https://www.youtube.com/watch?v={YT}&t=30s", f"{YT_EMBED}?start=30"),
        (f"https://www.youtube.com/watch?v={YT}&t=1m30s", f"{YT_EMBED}?start=90"),
        (f"https://www.youtube.com/watch?v={YT}&t=75", f"{YT_EMBED}?start=75"),
        (f"https://www.youtube.com/watch?feature=share&v={YT}&list=PL123", YT_EMBED),
        (f"https://www.youtube.com/watch?v={YT}&t=soon", YT_EMBED),
        (f"https://youtu.be/{YT}", YT_EMBED),
        (f"https://youtu.be/{YT}?si=abcDEF123&t=5", f"{YT_EMBED}?start=5"),
        (f"https://www.youtube.com/shorts/{YT}", YT_EMBED),
        (f"https://youtube.com/shorts/{YT}/", YT_EMBED),
        (f"https://www.youtube.com/embed/{YT}", YT_EMBED),
        (f"https://www.youtube.com/embed/{YT}?start=12", f"{YT_EMBED}?start=12"),
        (f"https://www.youtube-nocookie.com/embed/{YT}", YT_EMBED),
        (f"https://www.youtube.com/live/{YT}", YT_EMBED),
        (f"HTTPS://WWW.YouTube.com/watch?v={YT}", YT_EMBED),
        (f"https://www.youtube.com:443/watch?v={YT}", YT_EMBED),
        (f"  https://youtu.be/{YT}  ", YT_EMBED),
        (f"https://youtu.be/{YT}#comments", YT_EMBED),
        ("https://youtu.be/a-b_C1d2E3f", "https://www.youtube-nocookie.com/embed/a-b_C1d2E3f"),
    ],
)
def test_youtube_links_embed_without_cookies(url, embed):
    video = parse_video_url(url)
    assert video.provider == Provider.YOUTUBE
    assert video.id == embed.split("/embed/")[1].split("?")[0]
    assert video.embed_url == embed
    assert video.thumbnail_url == f"https://i.ytimg.com/vi/{video.id}/hqdefault.jpg"


def test_youtube_link_is_normalised():
    video = parse_video_url(f"HTTPS://WWW.YouTube.com:443/watch?v={YT}#x")
    assert video.url == f"https://www.youtube.com/watch?v={YT}"


@pytest.mark.parametrize(
    ("url", "video_id", "embed"),
    [
        ("https://vimeo.com/76979871", "76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://www.vimeo.com/76979871", "76979871", None),
        ("https://vimeo.com/76979871/", "76979871", None),
        ("https://vimeo.com/76979871?share=copy", "76979871", None),
        ("https://player.vimeo.com/video/76979871", "76979871", None),
        ("https://player.vimeo.com/video/76979871?autoplay=1", "76979871", None),
        (
            "https://vimeo.com/76979871/a1b2c3d4e5",
            "76979871",
            "https://player.vimeo.com/video/76979871?h=a1b2c3d4e5&dnt=1",
        ),
        (
            "https://player.vimeo.com/video/76979871?h=a1b2c3d4e5",
            "76979871",
            "https://player.vimeo.com/video/76979871?h=a1b2c3d4e5&dnt=1",
        ),
    ],
)
def test_vimeo_links_embed_without_tracking(url, video_id, embed):
    video = parse_video_url(url)
    assert video.provider == Provider.VIMEO
    assert video.id == video_id
    assert video.embed_url == (embed or f"https://player.vimeo.com/video/{video_id}?dnt=1")
    assert video.thumbnail_url == ""


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://cdn.example.org/videos/squat.mp4", "https://cdn.example.org/videos/squat.mp4"),
        ("https://cdn.example.org/v/Squat.MP4", "https://cdn.example.org/v/Squat.MP4"),
        ("https://media.example.org/a.webm", "https://media.example.org/a.webm"),
        (
            "https://stream.example.org/hls/master.m3u8",
            "https://stream.example.org/hls/master.m3u8",
        ),
        (
            "https://files.example.org/x.mp4?sig=abc&exp=1",
            "https://files.example.org/x.mp4?sig=abc&exp=1",
        ),
        ("https://CDN.Example.org/x.mp4#t=10", "https://cdn.example.org/x.mp4"),
    ],
)
def test_direct_https_files_embed_as_themselves(url, expected):
    video = parse_video_url(url)
    assert video.provider == Provider.FILE
    assert video.id == ""
    assert video.url == expected
    assert video.embed_url == expected
    assert video.thumbnail_url == ""


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Enter a video link."),
        ("   ", "Enter a video link."),
        (
            f"http://www.youtube.com/watch?v={YT}",
            "Only https:// links are accepted as a video link.",
        ),
        ("http://cdn.example.org/a.mp4", "Only https:// links are accepted as a video link."),
        ("javascript:alert(1)", "Only https:// links are accepted as a video link."),
        ("data:video/mp4;base64,AAAA", "Only https:// links are accepted as a video link."),
        ("ftp://example.org/a.mp4", "Only https:// links are accepted as a video link."),
        (f"//www.youtube.com/watch?v={YT}", "Only https:// links are accepted as a video link."),
        (f"www.youtube.com/watch?v={YT}", "Only https:// links are accepted as a video link."),
        (f"https://youtube.com.evil.org/watch?v={YT}", ACCEPTED),
        (f"https://evil-youtube.com/watch?v={YT}", ACCEPTED),
        (f"https://www.youtube.com.evil.org/embed/{YT}", ACCEPTED),
        (f"https://youtu.be.evil.org/{YT}", ACCEPTED),
        ("https://vimeo.com.evil.org/76979871", ACCEPTED),
        (f"https://www.youtube.com./watch?v={YT}", ACCEPTED),
        ("https://example.org/watch?v=dQw4w9WgXcQ", ACCEPTED),
        ("https://example.org/video.avi", ACCEPTED),
        ("https://example.org/video.mp4.html", ACCEPTED),
        (
            f"https://user:pass@www.youtube.com/watch?v={YT}",
            "A link must not contain a user name or password.",
        ),
        (
            f"https://www.youtube.com@evil.org/watch?v={YT}",
            "A link must not contain a user name or password.",
        ),
        (
            "https://evil.org@cdn.example.org/a.mp4",
            "A link must not contain a user name or password.",
        ),
        (
            f"https://www.youtube.com:8443/watch?v={YT}",
            "Only links on the standard HTTPS port are accepted.",
        ),
        (
            "https://cdn.example.org:8080/a.mp4",
            "Only links on the standard HTTPS port are accepted.",
        ),
        (f"https://www.youtube.com:abc/watch?v={YT}", "This is not a valid video link."),
        (
            f"https://evil.org\\@www.youtube.com/watch?v={YT}",
            "The video link contains characters a link cannot have.",
        ),
        (
            f"https://www.youtube.com/watch?v={YT} onerror=x",
            "The video link contains characters a link cannot have.",
        ),
        (
            f'https://www.youtube.com/watch?v={YT}"><script>',
            "The video link contains characters a link cannot have.",
        ),
        (
            "https://www.yоutube.com/watch?v=dQw4w9WgXcQ",
            "The video link contains characters a link cannot have.",
        ),
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXc",
            "This is not a valid YouTube video id (11 letters, digits, - or _).",
        ),
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQQ",
            "This is not a valid YouTube video id (11 letters, digits, - or _).",
        ),
        (
            "https://www.youtube.com/watch?v=dQw4w9WgX%51",
            "This is not a valid YouTube video id (11 letters, digits, - or _).",
        ),
        (
            "https://youtu.be/dQw4w9WgX.Q",
            "This is not a valid YouTube video id (11 letters, digits, - or _).",
        ),
        (
            "https://www.youtube.com/shorts/..",
            "This is not a valid YouTube video id (11 letters, digits, - or _).",
        ),
        (
            "https://www.youtube.com/shorts/../../x",
            "Use a YouTube video link: youtube.com/watch?v=…, youtu.be/…, /shorts/… or /embed/….",
        ),
        ("https://www.youtube.com/watch", "A YouTube link names exactly one video (watch?v=…)."),
        (
            f"https://www.youtube.com/watch?v={YT}&v=aaaaaaaaaaa",
            "A YouTube link names exactly one video (watch?v=…).",
        ),
        (
            "https://www.youtube.com/channel/UC123",
            "Use a YouTube video link: youtube.com/watch?v=…, youtu.be/…, /shorts/… or /embed/….",
        ),
        (
            "https://www.youtube.com/",
            "Use a YouTube video link: youtube.com/watch?v=…, youtu.be/…, /shorts/… or /embed/….",
        ),
        (
            f"https://youtu.be/{YT}/extra",
            "Use a YouTube video link: youtube.com/watch?v=…, youtu.be/…, /shorts/… or /embed/….",
        ),
        (
            "https://vimeo.com/channels/staffpicks",
            "This is not a valid Vimeo video id (digits only).",
        ),
        ("https://vimeo.com/", "Use a Vimeo video link: vimeo.com/<number>."),
        ("https://vimeo.com/12345abc", "This is not a valid Vimeo video id (digits only)."),
        ("https://vimeo.com/1234567890123", "This is not a valid Vimeo video id (digits only)."),
        ("https://player.vimeo.com/76979871", "Use a Vimeo video link: vimeo.com/<number>."),
        ("https://vimeo.com/76979871/NOT-A-HASH", "This is not a valid Vimeo link."),
        (
            "https://localhost/a.mp4",
            "The video file must be on a public host name, not an address.",
        ),
        (
            "https://127.0.0.1/a.mp4",
            "The video file must be on a public host name, not an address.",
        ),
        ("https://[::1]/a.mp4", "The video file must be on a public host name, not an address."),
        ("https:///a.mp4", "This is not a valid video link."),
        (
            "https://cdn.example.org/" + "a" * 500 + ".mp4",
            "The video link is longer than 500 characters.",
        ),
    ],
)
def test_everything_else_is_refused_with_a_reason(url, message):
    with pytest.raises(VideoURLError) as error:
        parse_video_url(url)
    assert str(error.value) == message


def test_the_embed_is_built_from_the_id_not_copied_from_the_link():
    video = parse_video_url(f"https://www.youtube.com/embed/{YT}?autoplay=1&onload=x")
    assert video.embed_url == YT_EMBED


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://images.example.org/thumb.jpg", True),
        ("http://images.example.org/thumb.jpg", False),
        ("https://user@images.example.org/thumb.jpg", False),
        ("https://images.example.org:444/thumb.jpg", False),
        ("https://localhost/thumb.jpg", False),
        ("javascript:alert(1)", False),
    ],
)
def test_thumbnail_links_must_be_plain_https(url, ok):
    if ok:
        assert check_https_url(url, what="thumbnail link") == url
    else:
        with pytest.raises(VideoURLError):
            check_https_url(url, what="thumbnail link")
