"""vsquant: exact small cases, error messages from libvsq, zero-copy views,
the .vsq round trip, and bit-for-bit agreement with the `vsq` tool."""
import subprocess

import numpy as np
import pytest

import vsquant as vq


def student_t(shape, seed=1):
    return np.random.default_rng(seed).standard_t(4, size=shape).astype(np.float32)


def test_parse_format_canonical():
    f = vq.parse_format("int4:v16:s6")
    assert (f.elem, f.bits, f.gran, f.vec_len, f.scale, f.scale_bits) == (
        "int", 4, "vector", 16, "two-level", 6)
    assert f.spec == "int4:v16:s6:max"
    assert vq.parse_format(f.spec) == f


def test_errors_carry_libvsq_message():
    with pytest.raises(vq.VsqError, match=r"element bits in 'int9' must be 2..8") as e:
        vq.parse_format("int9:pt")
    assert e.value.status == "invalid argument"
    x = np.ones(4, np.float32)
    x[2] = np.nan
    with pytest.raises(vq.VsqError, match="element 2 is NaN"):
        vq.quantize(x, "int8:pt")
    with pytest.raises(vq.VsqError, match="empty"):
        vq.fakequant(np.zeros((0, 4), np.float32), "int8:pt")


def test_hand_checked_codes():
    # int4 per tensor, max calibration: scale = 7/7 = 1, codes = round half away
    q = vq.quantize(np.array([1.0, -2.5, 0.5, 7.0], np.float32), "int4:pt")
    assert q.codes.tolist() == [[1, -3, 1, 7]]
    assert q.scales.tolist() == [1.0]
    assert q.sq is None and q.gamma is None
    assert vq.dequantize(q).tolist() == [1.0, -3.0, 1.0, 7.0]


def test_per_vector_scales_shape_and_values():
    x = np.array([[1, 2, 3, 14], [0.5, 0, 0, 0]], np.float32)  # V=2: groups max 2, 14, 0.5, 0
    q = vq.quantize(x, "int8:v2:fp32")
    assert q.scales.shape == (2, 2)
    np.testing.assert_array_equal(q.scales, np.float32([[2, 14], [0.5, 0]]) / np.float32(127))
    assert np.all(np.abs(q.codes) <= 127)


def test_two_level_parts():
    x = student_t((8, 64))
    q = vq.quantize(x, "int4:v16:s6")
    assert q.sq.shape == (8, 4) and q.sq.dtype == np.uint16
    assert q.sq.max() <= 63 and q.gamma.shape == (8,)
    # eq. 7h: the effective scale is sq * gamma of the row's channel
    np.testing.assert_array_equal(q.scales, (q.sq * q.gamma[:, None]).astype(np.float32))
    assert q.bits_per_elem == pytest.approx(4 + 6 / 16 + 32 / 64)


def test_fakequant_equals_dequantize_quantize_and_error_bound():
    x = student_t((16, 48))
    for spec in ["int4:pc", "int4:v16:fp32", "uint8:pt", "int4:v16:s6"]:
        y = vq.fakequant(x, spec)
        np.testing.assert_array_equal(y, vq.dequantize(vq.quantize(x, spec)))
    # per-group bound for max calibration: |x - y| <= scale / 2 (eq. 1-3)
    q = vq.quantize(x, "int8:v16:fp32")
    err = np.abs(x - vq.dequantize(q)).reshape(16, 3, 16)
    assert np.all(err <= q.scales[:, :, None] / 2 * (1 + 1e-6))


def test_axis_handling():
    x = student_t((6, 5, 4))
    for axis in (0, 1, 2, -1):
        y = vq.fakequant(x, "int4:v4:fp32", axis=axis)
        ref = np.moveaxis(vq.fakequant(np.moveaxis(x, axis, -1).copy(), "int4:v4:fp32"), -1, axis)
        np.testing.assert_array_equal(y, ref)
        assert vq.dequantize(vq.quantize(x, "int4:v4:fp32", axis=axis)).shape == x.shape


def test_zero_copy_views_outlive_qtensor():
    x = student_t((4, 32))
    q = vq.quantize(x, "int4:v16:s6")
    codes, sq = q.codes, q.sq
    assert not codes.flags.owndata
    expect = codes.copy()
    del q  # the views keep the library's buffers alive
    np.testing.assert_array_equal(codes, expect)
    assert sq.shape == (4, 2)


def test_calibrate_and_sqnr():
    x = np.array([0.0, 1.0, -3.0, 2.0], np.float32)
    assert vq.calibrate(x, "max", "int8") == 3.0
    assert vq.calibrate(x, "p100", "int4") == 3.0
    assert vq.sqnr(x, x) == float("inf")
    y = x + np.float32(0.5)
    assert vq.sqnr(x, y) == pytest.approx(10 * np.log10(14 / 1.0))
    with pytest.raises(vq.VsqError, match="unknown|calibration"):
        vq.calibrate(x, "bogus")


def test_save_load_round_trip(tmp_path):
    x = student_t((8, 40))
    q = vq.quantize(x, "int4:v16:s6", axis=1)
    p = tmp_path / "w.vsq"
    vq.save(p, q)
    r = vq.load(p)
    assert r.shape == (8, 40) and r.format == q.format
    np.testing.assert_array_equal(r.codes, q.codes)
    np.testing.assert_array_equal(r.sq, q.sq)
    np.testing.assert_array_equal(vq.dequantize(r), vq.dequantize(q))
    (tmp_path / "bad.vsq").write_bytes(p.read_bytes()[:-7])
    with pytest.raises(vq.VsqError, match="bad.vsq"):
        vq.load(tmp_path / "bad.vsq")


@pytest.mark.parametrize("spec", ["int4:v16:s6", "int4:pc", "uint4:v8:fp16", "int8:v32:e8m0",
                                  "int3f:v16:s4r@pt:p99.9", "int4:v16:s6:mse"])
def test_agreement_with_cli(vsq_cli, tmp_path, spec):
    x = student_t((12, 80), seed=7) * np.float32(3)
    np.save(tmp_path / "x.npy", x)
    run = lambda *a: subprocess.run([vsq_cli, *a], check=True, capture_output=True)  # noqa: E731
    # fakequant: identical floats
    run("fakequant", "--fmt", spec, str(tmp_path / "x.npy"), str(tmp_path / "y.npy"))
    assert np.load(tmp_path / "y.npy").tobytes() == vq.fakequant(x, spec).tobytes()
    # quantize: identical container bytes, and each side reads the other's
    run("quantize", "--fmt", spec, str(tmp_path / "x.npy"), str(tmp_path / "cli.vsq"))
    q = vq.quantize(x, spec)
    vq.save(tmp_path / "py.vsq", q)
    assert (tmp_path / "cli.vsq").read_bytes() == (tmp_path / "py.vsq").read_bytes()
    run("dequantize", str(tmp_path / "py.vsq"), str(tmp_path / "d.npy"))
    assert np.load(tmp_path / "d.npy").tobytes() == vq.dequantize(vq.load(tmp_path / "cli.vsq")).tobytes()


def test_agreement_with_cli_axis0(vsq_cli, tmp_path):
    x = student_t((32, 6, 3), seed=9)
    np.save(tmp_path / "x.npy", x)
    subprocess.run([vsq_cli, "fakequant", "--fmt", "int4:v8:s6", "--axis", "0",
                    str(tmp_path / "x.npy"), str(tmp_path / "y.npy")], check=True,
                   capture_output=True)
    assert np.load(tmp_path / "y.npy").tobytes() == vq.fakequant(x, "int4:v8:s6", axis=0).tobytes()
