! test_bindings.f90 - what the module adds to the C functions: shapes and
! contiguity checked before any call, no copy of the caller's arrays, the
! transposed views of the network's matrices, one owner per network, and
! networks freed when they go out of scope. Each check prints PASS or FAIL;
! any FAIL makes the exit status 1.
program test_bindings
  use, intrinsic :: iso_c_binding
  use mlp
  implicit none
  integer :: failures = 0

  call shapes_are_checked()
  call no_copy()
  call matrix_views()
  call ownership()
  call strings_and_files()
  call padded_paths()
  call scope_frees()
  call arrays_of_networks()
  call array_scope_frees()
  if (failures > 0) then
    write (*, '(i0, a)') failures, ' checks failed'
    error stop 1
  end if
  write (*, '(a)') 'all checks passed'

contains

  subroutine expect(ok, what)
    logical, intent(in) :: ok
    character(*), intent(in) :: what
    if (ok) then
      write (*, '(a)') 'PASS: ' // what
    else
      write (*, '(a)') 'FAIL: ' // what
      failures = failures + 1
    end if
  end subroutine expect

  subroutine xor_net(net)
    type(mlp_net), intent(inout) :: net
    call expect(mlp_create(net, [2, 3, 1], loss=MLP_MSE, seed=1) == MLP_OK, &
        'mlp_create 2-3-1')
  end subroutine xor_net

  ! A shape that does not fit the network, or a non-contiguous section, is
  ! refused with MLP_ERR_ARG and leaves the outputs untouched.
  subroutine shapes_are_checked()
    type(mlp_net) :: net, empty
    real(c_double) :: X(2, 4) = 0, X3(3, 4) = 0, wide(2, 8) = 0, Y(1, 4), Y2(2, 4)
    real(c_double) :: T(1, 4) = 0, T5(1, 5) = 0, cost
    integer(c_int) :: s
    ! (A function that writes an array is called in a statement of its own
    ! before the array is looked at: Fortran may evaluate an expression's
    ! operands in any order.)
    call xor_net(net)
    Y = 7
    s = mlp_predict(net, X3, Y)
    call expect(s == MLP_ERR_ARG .and. all(Y == 7), &
        'X with 3 rows for 2 inputs: MLP_ERR_ARG, Y untouched')
    call expect(mlp_predict(net, X, Y2) == MLP_ERR_ARG, 'Y with 2 rows for 1 output')
    call expect(mlp_predict(net, X, Y(:, 1:3)) == MLP_ERR_ARG, 'Y of another batch')
    s = mlp_predict(net, wide(:, ::2), Y)
    call expect(s == MLP_ERR_ARG .and. all(Y == 7), &
        'a non-contiguous X: MLP_ERR_ARG rather than a copy')
    call expect(mlp_predict(net, wide(:, 1:4), Y) == MLP_OK, &
        'a contiguous column range X(:, 1:4) is used in place')
    cost = -1
    s = mlp_train_batch(net, X, T5, cost)
    call expect(s == MLP_ERR_ARG .and. cost == -1, &
        'T of another batch: MLP_ERR_ARG, cost untouched')
    call expect(mlp_backprop(net, X, T) == MLP_OK, 'mlp_backprop without a cost')
    call expect(mlp_set_scaling(net, in_mean=[1.0_c_double]) == MLP_ERR_ARG, &
        'in_mean with 1 entry for 2 inputs')
    call expect(mlp_predict(empty, X, Y) == MLP_ERR_ARG .and. &
        mlp_n_layers(empty) == 0 .and. mlp_set_sgd(empty, 1.0_c_double, &
        0.0_c_double) == MLP_ERR_ARG, 'an mlp_net holding no network: MLP_ERR_ARG')
    call expect(mlp_create(empty, [2, 3, 1], [MLP_RELU], MLP_MSE, 1) == MLP_ERR_ARG, &
        'acts with 1 entry for 2 layers')
    call expect(mlp_create(empty, [2], loss=MLP_MSE, seed=1) == MLP_ERR_ARG, &
        'sizes with one entry')
    call mlp_free(net)
  end subroutine shapes_are_checked

  ! The library writes into the caller's own array: the outputs of
  ! mlp_predict land in Y itself, and mlp_params/mlp_weights point into
  ! the network.
  subroutine no_copy()
    type(mlp_net) :: net
    real(c_double), target :: X(2, 4) = reshape([0, 0, 0, 1, 1, 0, 1, 1], [2, 4])
    real(c_double), target :: big(1, 6)
    real(c_double), pointer :: p(:), W(:, :)
    integer(c_int) :: s
    call xor_net(net)
    big = 9
    s = mlp_predict(net, X, big(:, 2:5))
    call expect(s == MLP_OK .and. big(1, 1) == 9 .and. big(1, 6) == 9 .and. &
        all(big(1, 2:5) > 0 .and. big(1, 2:5) < 1), &
        'outputs written into the caller''s column range, neighbours untouched')
    p => mlp_params(net)
    W => mlp_weights(net, 1)
    call expect(associated(p) .and. size(p) == 13, 'mlp_params: 13 parameters')
    call expect(c_associated(c_loc(W(1, 1)), c_loc(p(1))), &
        'mlp_weights(net, 1) points at the start of mlp_params')
    W(2, 3) = 0.5_c_double
    call expect(p(6) == 0.5_c_double, &
        'W(2, 3) is C''s W[2][1], the 6th parameter (row-major 3 x 2)')
  end subroutine no_copy

  ! W(n_(l-1), n_l) with W(j, i) = C's W[i][j]: the predictions of a
  ! network whose parameters are set through these views match a Fortran
  ! forward pass written with them.
  subroutine matrix_views()
    type(mlp_net) :: net
    real(c_double) :: X(2, 3), Y(1, 3), expected(1, 3), A(3, 3)
    real(c_double), pointer :: W1(:, :), b1(:), W2(:, :), b2(:)
    integer :: i
    call xor_net(net)
    W1 => mlp_weights(net, 1)
    b1 => mlp_biases(net, 1)
    W2 => mlp_weights(net, 2)
    b2 => mlp_biases(net, 2)
    call expect(all(shape(W1) == [2, 3]) .and. all(shape(W2) == [3, 1]) .and. &
        size(b1) == 3 .and. size(b2) == 1, 'W1(2, 3), W2(3, 1), b1(3), b2(1)')
    W1 = reshape([0.1, -0.2, 0.3, 0.4, -0.5, 0.6], [2, 3])
    b1 = [0.05, -0.05, 0.1]
    W2(:, 1) = [0.7, -0.8, 0.9]
    b2 = -0.1
    X = reshape([0.5, -1.0, 1.5, 2.0, -0.25, 0.75], [2, 3])
    call expect(mlp_predict(net, X, Y) == MLP_OK, 'mlp_predict')
    do i = 1, 3
      A(:, i) = 1 / (1 + exp(-(matmul(transpose(W1), X(:, i)) + b1)))
      expected(:, i) = 1 / (1 + exp(-(matmul(transpose(W2), A(:, i)) + b2)))
    end do
    ! Tolerance: the same sums in another order and another exp, a few ulp.
    call expect(all(abs(Y - expected) <= 1e-14_c_double), &
        'predictions match a Fortran forward pass through the views (1e-14)')
    call expect(.not. associated(mlp_weights(net, 0)) .and. &
        .not. associated(mlp_biases(net, 3)), 'no layer 0 or 3: null pointers')
  end subroutine matrix_views

  ! One owner per network: assignment copies, never shares.
  subroutine ownership()
    type(mlp_net) :: a, b, c
    real(c_double), pointer :: pa(:), pb(:)
    call xor_net(a)
    call expect(mlp_create(b, [3, 1], loss=MLP_MSE, seed=2) == MLP_OK, 'a 3-1 network')
    b = a
    pa => mlp_params(a)
    pb => mlp_params(b)
    call expect(mlp_n_layers(b) == 2 .and. size(pb) == 13 .and. all(pa == pb) .and. &
        .not. c_associated(c_loc(pa(1)), c_loc(pb(1))), &
        'after b = a, b is a copy of a in memory of its own')
    pb(1) = pb(1) + 1
    call expect(pa(1) /= pb(1), 'changing b leaves a as it was')
    call expect(mlp_clone(c, a) == MLP_OK .and. mlp_n_params(c) == 13, 'mlp_clone')
    call mlp_free(a)
    call expect(mlp_n_layers(b) == 2 .and. mlp_n_layers(c) == 2, &
        'b and c outlive a')
    call expect(mlp_clone(c, a) == MLP_ERR_ARG .and. mlp_n_layers(c) == 0, &
        'mlp_clone of no network: MLP_ERR_ARG, the copy holds none')
    call xor_net(a)
    a = a
    call expect(mlp_n_layers(a) == 2, 'a = a keeps the network')
    call xor_net(a)
    call expect(mlp_n_layers(a) == 2, 'mlp_create over a held network replaces it')
    call mlp_free(a)
    call mlp_free(a)
    call expect(mlp_n_layers(a) == 0, 'mlp_free twice is harmless')
  end subroutine ownership

  subroutine strings_and_files()
    type(mlp_net) :: net, back
    character(:), allocatable :: message
    integer(c_int8_t), allocatable :: bytes(:), memory(:)
    integer :: unit, size_bytes
    real(c_double) :: X(2, 1) = 0.5, Y1(1, 1), Y2(1, 1)
    integer(c_int) :: s1, s2
    message = mlp_strerror(MLP_ERR_IO)
    call expect(len(message) > 10 .and. index(message, achar(0)) == 0, &
        'mlp_strerror: a Fortran string without the NUL')
    call expect(mlp_strerror(-1_c_int) == 'unknown status', 'unknown status')
    call expect(mlp_load(back, 'no such file.mlp') == MLP_ERR_IO .and. &
        mlp_n_layers(back) == 0, 'mlp_load of a missing file: MLP_ERR_IO')
    call xor_net(net)
    call expect(mlp_save(net, 'test_bindings model.mlp') == MLP_OK, &
        'mlp_save to a path with a space')
    open (newunit=unit, file='test_bindings model.mlp', access='stream', &
        form='unformatted', status='old')
    inquire (unit=unit, size=size_bytes)
    allocate (bytes(size_bytes))
    read (unit) bytes
    close (unit, status='delete')
    call expect(mlp_load_buffer(back, bytes) == MLP_OK, 'mlp_load_buffer')
    s1 = mlp_predict(net, X, Y1)
    s2 = mlp_predict(back, X, Y2)
    call expect(s1 == MLP_OK .and. s2 == MLP_OK .and. Y1(1, 1) == Y2(1, 1), &
        'the loaded network predicts bitwise as the saved one')
    call expect(mlp_load_buffer(back, bytes(1:size_bytes - 1)) == MLP_ERR_FORMAT &
        .and. mlp_n_layers(back) == 0, 'a truncated buffer: MLP_ERR_FORMAT')
    call expect(mlp_saved_size(net) == size_bytes, 'mlp_saved_size: the file''s size')
    allocate (memory(size_bytes + 3))
    memory = 7
    s1 = mlp_save_buffer(net, memory(:size_bytes - 1))
    call expect(s1 == MLP_ERR_ARG .and. all(memory == 7), &
        'mlp_save_buffer into one byte too few: MLP_ERR_ARG, nothing written')
    s1 = mlp_save_buffer(net, memory)
    call expect(s1 == MLP_OK .and. all(memory(:size_bytes) == bytes) .and. &
        all(memory(size_bytes + 1:) == 7), &
        'mlp_save_buffer: the file''s bytes, the rest untouched')
    call mlp_free(net)
  end subroutine strings_and_files

  ! A path held in a fixed-length variable is padded with blanks; like
  ! Fortran's own OPEN (FILE=), mlp_save and mlp_load ignore trailing
  ! blanks, so the file is 'test_bindings padded.mlp', not that name with
  ! 40 blanks after it. (INQUIRE also ignores trailing blanks, so it only
  ! finds the file when the name was trimmed.)
  subroutine padded_paths()
    type(mlp_net) :: net, back
    character(len=64) :: path
    logical :: exists
    integer :: unit
    path = 'test_bindings padded.mlp'
    call xor_net(net)
    call expect(mlp_save(net, path) == MLP_OK, 'mlp_save to a blank-padded path')
    inquire (file='test_bindings padded.mlp', exist=exists)
    call expect(exists, 'the file has the name without the trailing blanks')
    call expect(mlp_load(back, path) == MLP_OK .and. mlp_n_layers(back) == 2, &
        'mlp_load from the blank-padded path')
    if (exists) then
      open (newunit=unit, file='test_bindings padded.mlp', status='old')
      close (unit, status='delete')
    end if
  end subroutine padded_paths

  ! Networks local to a procedure are freed when it returns: creating many
  ! large ones in a loop would exhaust memory otherwise (and valgrind, under
  ! meson test --setup=valgrind, reports any leak).
  subroutine scope_frees()
    integer :: i
    logical :: ok
    ok = .true.
    do i = 1, 200
      ok = ok .and. local_network()
    end do
    call expect(ok, '200 local networks of 8 MB each, each freed on return')
  end subroutine scope_frees

  ! Arrays of networks, as an ensemble is kept: assigning to a whole array
  ! (from one network or from another array) copies each network, as a
  ! scalar assignment does, so no two elements share one (a shared network
  ! would be freed twice when they are released).
  subroutine arrays_of_networks()
    type(mlp_net) :: a, ens(3), copy(3)
    real(c_double), pointer :: pa(:), p1(:), p2(:), p3(:)
    integer :: i
    logical :: distinct
    call xor_net(a)
    ens = a
    pa => mlp_params(a)
    p1 => mlp_params(ens(1))
    p2 => mlp_params(ens(2))
    p3 => mlp_params(ens(3))
    call expect(associated(p1) .and. associated(p2) .and. associated(p3), &
        'ens = a gives every element a network')
    if (.not. (associated(p1) .and. associated(p2) .and. associated(p3))) return
    distinct = .not. (c_associated(c_loc(pa(1)), c_loc(p1(1))) .or. &
        c_associated(c_loc(p1(1)), c_loc(p2(1))) .or. &
        c_associated(c_loc(p2(1)), c_loc(p3(1))))
    call expect(distinct .and. all(p1 == pa) .and. all(p3 == pa), &
        'ens = a: three copies of a, each in memory of its own')
    copy = ens
    distinct = .true.
    do i = 1, 3
      p1 => mlp_params(copy(i))
      p2 => mlp_params(ens(i))
      distinct = distinct .and. associated(p1) .and. associated(p2)
      if (distinct) distinct = .not. c_associated(c_loc(p1(1)), c_loc(p2(1)))
    end do
    call expect(distinct, 'copy = ens: each element a copy of its own')
    call mlp_free(a)
    do i = 1, 3
      call mlp_free(ens(i))
    end do
    call expect(mlp_n_layers(copy(3)) == 2, 'the copies outlive the originals')
  end subroutine arrays_of_networks

  ! A local array of networks (or workspaces) is freed when its procedure
  ! returns, as a scalar is: 20 calls, each with two networks of 8 MB and
  ! two workspaces for batches of 1000, would add at least 320 MB to the
  ! resident memory if they were not (the allocations are larger than
  ! malloc's mmap threshold, so freeing them returns the pages to the
  ! system at once). The bound, 100 MB, is far from both.
  subroutine array_scope_frees()
    integer :: i
    integer(c_int64_t) :: before, after
    logical :: ok
    ok = .true.
    before = resident_bytes()
    do i = 1, 20
      ok = ok .and. local_networks()
    end do
    after = resident_bytes()
    call expect(ok .and. before > 0 .and. after - before < 100000000_c_int64_t, &
        'local arrays of networks and workspaces are freed on return (resident &
        &memory grew by < 100 MB)')
  end subroutine array_scope_frees

  logical function local_networks()
    type(mlp_net) :: nets(2)
    type(mlp_workspace) :: workspaces(2)   ! one per thread, as OpenMP code keeps them
    local_networks = mlp_create(nets(1), [1000, 1000, 1], loss=MLP_MSE, seed=1) &
        == MLP_OK
    if (local_networks) local_networks = mlp_create(nets(2), [1000, 1000, 1], &
        loss=MLP_MSE, seed=2) == MLP_OK
    if (local_networks) local_networks = &
        mlp_workspace_create(workspaces(1), nets(1), 1000) == MLP_OK
    if (local_networks) local_networks = &
        mlp_workspace_create(workspaces(2), nets(1), 1000) == MLP_OK
  end function local_networks

  ! The resident set size of this process (Linux: /proc/self/statm, in
  ! pages of 4096 bytes); 0 if it cannot be read.
  integer(c_int64_t) function resident_bytes()
    integer :: unit, io
    integer(c_int64_t) :: total_pages, resident_pages
    resident_bytes = 0
    open (newunit=unit, file='/proc/self/statm', action='read', iostat=io)
    if (io /= 0) return
    read (unit, *, iostat=io) total_pages, resident_pages
    close (unit)
    if (io == 0) resident_bytes = resident_pages * 4096
  end function resident_bytes

  logical function local_network()
    type(mlp_net) :: net
    local_network = mlp_create(net, [1000, 1000, 1], loss=MLP_MSE, seed=1) == MLP_OK
  end function local_network

end program test_bindings
